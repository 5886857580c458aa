package dev.hyperfresh.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.vmm.control.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The harness runs end to end, a few rounds, and every step it prints has a floor beside it. No timing asserted. */
class CutoverBenchTest {
    private static final List<String> STEPS = List.of("kick → parked (1 vCPU)", "kick → parked (2 vCPUs)",
            "kick → parked (2 busy vCPUs)", "parked → noticed (2 vCPUs)", "encode into the ledger",
            "offer → seen", "take hop", "decode in place + clock advance",
            "resume → first run (2 vCPUs, standing by)", "reply hop", "clock read");

    @Test
    void printsEveryStepWithItsFloorAndATotal() throws Exception {
        String out = run("--rounds", "3", "--warmup", "1", "--scheduling", "normal");

        List<String> rows = out.lines().filter(l -> l.contains("│") && !l.startsWith("step")).toList();
        assertThat(rows).hasSize(14);
        for (String step : STEPS) {
            assertThat(rows).as(step).anyMatch(l -> l.startsWith(step));
        }
        // median p99 max │ floor p99 ×floor │ what the floor is
        assertThat(rows).allMatch(l -> l.matches(".*(\\s+[0-9.]+){3} │(\\s+[0-9.]+){3} │ \\S.*"));
        assertThat(out).contains("total, blackout path without KVM").contains("load average");
    }

    @Test
    void jsonHoldsEveryStepWithItsFloorUnderEachScheduling() throws Exception {
        JsonNode root = Json.MAPPER.readTree(run("--rounds", "2", "--warmup", "0", "--json"));

        assertThat(root.path("schedulings").size()).isEqualTo(root.path("fifo_allowed").asBoolean() ? 2 : 1);
        for (JsonNode run : root.path("schedulings")) {
            assertThat(run.path("steps")).hasSize(14);
            for (JsonNode step : run.path("steps")) {
                assertThat(step.path("n").asInt()).as(step.toString()).isEqualTo(2);
                assertThat(step.path("floor").asText()).isNotBlank();
                assertThat(step.path("floor_median_us").asDouble()).isGreaterThanOrEqualTo(0);
            }
            assertThat(run.path("total_median_us").asDouble()).isPositive();
        }
    }

    @Test
    void refusesUnknownOptions() {
        assertThatThrownBy(() -> CutoverBench.Args.parse("--rounds")).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> CutoverBench.Args.parse("--fast")).hasMessageContaining("usage: bench-cutover");
    }

    private static String run(String... args) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CutoverBench.run(CutoverBench.Args.parse(args), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
