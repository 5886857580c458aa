package dev.hyperfresh.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.engine.EngineException;
import dev.hyperfresh.engine.ReplaceAllReport;
import dev.hyperfresh.engine.QemuReplaceReport;
import dev.hyperfresh.engine.QemuReplaceReport.QemuRef;
import dev.hyperfresh.engine.ReplaceAllReport.Entry;
import dev.hyperfresh.engine.ReplaceAllReport.QemuBinary;
import dev.hyperfresh.engine.ReplaceAllReport.Result;
import dev.hyperfresh.engine.ReplaceReport;
import dev.hyperfresh.engine.Verification;
import dev.hyperfresh.engine.VmsOn;
import dev.hyperfresh.vmm.BuildInfo;
import dev.hyperfresh.vmm.control.InstanceRef;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A host's upgrade as the operator reads it: one row per instance, and the same facts under --json. */
class ReplaceAllViewsTest {
    private static final ReplaceAllReport REPORT = new ReplaceAllReport(new BuildInfo("9.9", "next"),
            new QemuBinary(Path.of("/usr/bin/qemu-system-x86_64"), "QEMU emulator version 7.2.15"), false, false,
            List.of(new Entry("a", false, Result.COMMITTED, null, committed("a"), null, null),
                    new Entry("a-web", true, Result.COMMITTED, null, null, qemuCommitted("a-web"), null),
                    new Entry("b", false, Result.SKIPPED, "it already runs build next", null, null, null),
                    new Entry("c", false, Result.FAILED, null, null, null, new EngineException(
                            EngineException.Kind.PRECONDITION, "hfvisor exited with status 1 before answering",
                            new VmsOn("c", 30), null)),
                    new Entry("d", true, Result.NOT_REACHED, null, null, null, null)));

    private static QemuReplaceReport qemuCommitted(String name) {
        return new QemuReplaceReport(name, "committed", null, "shared", 2_600, 3, 90_000, 128 << 20,
                Map.of("migrating", 40_000L), new QemuRef(20, "7.2.15", "running"),
                new QemuRef(21, "7.2.15", "running"), Map.of(), List.of("the history was not written"));
    }

    private static ReplaceReport committed(String name) {
        Verification v = new Verification(10, 1, 0, 0, 0, 0, 0, true, 1_200L, 900L, 420L, List.of(), 1500,
                List.of());
        return new ReplaceReport(name, "committed", null, 420, 4096, 64 << 20, 0, Map.of("pause", 20L),
                new InstanceRef(name, 10, "0.1", "old"), new InstanceRef(name, 11, "9.9", "next"), v, Map.of(),
                List.of());
    }

    @Test
    void eachInstanceIsOneRowWithWhatBecameOfIt() {
        String text = ReplaceAllViews.text(REPORT);
        assertThat(text).startsWith("replacing with hfvisor 9.9 (build next); QEMUs with /usr/bin/qemu-system-x86_64"
                + " (QEMU emulator version 7.2.15): 2 replaced, 1 skipped, 1 failed, 1 not reached (untouched)\n");
        assertThat(text.lines().filter(l -> l.startsWith("│")).map(l -> l.substring(1, 2)))
                .as("the header, then one row per instance").containsExactly("I", "a", "a", "b", "c", "d");
        assertThat(text).contains("committed").contains("420 µs").contains("pid 10 → 11")
                .contains("│a-web   │qemu   │committed  │2600 µs │-").contains("pid 20 → 21")
                .contains("it already runs build next").contains("refused")
                .contains("hfvisor exited with status 1 before answering").contains("not-reached");
    }

    @Test
    void theJsonHasTheCountsAndEachInstancesOutcome() {
        JsonNode json = JsonOutput.MAPPER.valueToTree(ReplaceAllViews.json(REPORT));
        assertThat(json.path("build").path("build_id").asText()).isEqualTo("next");
        assertThat(json.path("not_reached").asInt()).isOne();
        assertThat(json.path("committed").asInt()).isEqualTo(2);
        assertThat(json.path("qemu").path("binary").asText()).isEqualTo("/usr/bin/qemu-system-x86_64");
        JsonNode web = json.path("instances").get(1);
        assertThat(web.path("kind").asText()).isEqualTo("qemu");
        assertThat(web.path("replace").path("blackout_us").asLong()).isEqualTo(2_600);
        assertThat(web.path("replace").path("after").path("pid").asLong()).isEqualTo(21);
        assertThat(ReplaceAllViews.warnings(REPORT.instances().get(1))).containsExactly("the history was not written");
        JsonNode[] rows = new JsonNode[4];
        for (int i = 0; i < 4; i++) {
            rows[i] = json.path("instances").get(i == 0 ? 0 : i + 1);
        }
        assertThat(rows[0].path("kind").asText()).isEqualTo("hfvisor");
        assertThat(rows[0].path("replace").path("verified").asBoolean()).isTrue();
        assertThat(rows[0].path("replace").path("blackout_us").asLong()).isEqualTo(420);
        assertThat(rows[1].path("why").asText()).isEqualTo("it already runs build next");
        assertThat(rows[2].path("outcome").asText()).isEqualTo("refused");
        assertThat(rows[2].path("vms_on").path("pid").asLong()).isEqualTo(30);
        assertThat(rows[3].path("result").asText()).isEqualTo("not-reached");
        assertThat(rows[3].has("replace")).isFalse();
    }
}
