package dev.hyperfresh.shell;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperfresh.shell.HyperfreshProcess.Result;
import dev.hyperfresh.testkit.RequiresKvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/hyperfresh on real hfvisor processes and KVM, as a script would use it: launch, replace one-shot with
 * --json, then a batch that rolls a remap back, replaces step by step, verifies and stops; and a batch that
 * fails a precondition. Exit codes and JSON are checked, timings are not (the nested KVM is emulated).
 */
@RequiresKvm
class ShellOnKvmTest {
    private static final Duration SLOW = Duration.ofMinutes(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Result run(String... args) throws Exception {
        Result r = HyperfreshProcess.run(dir, SLOW, args);
        System.out.println("$ hyperfresh " + String.join(" ", args) + "  -> exit " + r.exitCode() + "\n" + r.out()
                + r.err());
        return r;
    }

    @Test
    void launchReplaceAndAStepByStepBatch() throws Exception {
        Result launched = run("launch", "--name", "kvm", "--mem", "64M", "--cpus", "2", "--json");
        assertThat(launched.exitCode()).isZero();
        JsonNode instance = JSON.readTree(launched.out());
        assertThat(instance.path("role").asText()).isEqualTo("active");
        long firstPid = instance.path("pid").asLong();
        try {
            Result replaced = run("replace", "kvm", "--json", "--seconds", "3");
            assertThat(replaced.exitCode()).as(replaced.err()).isZero();
            JsonNode r = JSON.readTree(replaced.out());
            assertThat(r.path("outcome").asText()).isEqualTo("committed");
            assertThat(r.path("verified").asBoolean()).as(r.path("verification").toString()).isTrue();
            assertThat(r.path("blackout_us").asLong()).isPositive();
            assertThat(r.path("bytes_copied").asLong()).isZero();
            assertThat(r.path("phases_us").has("pause")).isTrue();
            assertThat(r.path("before").path("pid").asLong()).isEqualTo(firstPid);
            assertThat(r.path("after").path("pid").asLong()).isNotEqualTo(firstPid);
            assertThat(r.path("after").path("name").asText()).isEqualTo("kvm");

            Path steps = dir.resolve("steps.hf");
            Files.writeString(steps, """
                    attach kvm
                    standby
                    remap
                    rollback
                    verify --seconds 2
                    standby
                    remap
                    snapshot --show regs
                    cutover
                    verify --seconds 3
                    history --json
                    """);
            Result batch = run("--script", steps.toString());
            assertThat(batch.exitCode()).as(batch.err()).isZero();
            assertThat(batch.out()).contains("rolled back: the standby is gone").contains("blackout")
                    .contains("verified").contains("\"outcome\":\"committed\"");

            Files.writeString(steps, "attach kvm\ncutover\nlist\n");
            Result refused = run("--script", steps.toString());
            assertThat(refused.exitCode()).isEqualTo(3);
            assertThat(refused.err()).contains("cutover needs a remapped standby").contains("steps.hf:2");

            Result list = run("list", "--json");
            assertThat(JSON.readTree(list.out()).path("instances")).as("no standby left behind").hasSize(1);
        } finally {
            Result stopped = run("stop", "kvm");
            assertThat(stopped.exitCode()).as(stopped.err()).isZero();
        }
    }
}
