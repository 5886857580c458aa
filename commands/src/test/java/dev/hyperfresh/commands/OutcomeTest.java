package dev.hyperfresh.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.engine.EngineException;
import dev.hyperfresh.engine.EngineException.Kind;
import dev.hyperfresh.engine.VmsOn;
import dev.hyperfresh.vmm.control.ControlException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every outcome as a script sees it: the exit code, and the one JSON object with its word and where the VMs are. */
class OutcomeTest {
    private static final VmsOn OLD = new VmsOn("demo", 100);

    private static JsonNode json(Outcome o, ObjectNode shown) {
        return JsonOutput.MAPPER.valueToTree(o.json(shown));
    }

    @Test
    void everyKindHasItsOwnCodeAndWord() {
        Map<Kind, Integer> codes = new EnumMap<>(Map.of(Kind.USAGE, 2, Kind.PRECONDITION, 3, Kind.ROLLED_BACK, 4,
                Kind.COMMITTED, 5, Kind.UNKNOWN, 6, Kind.FAILED, 1));
        Map<Kind, String> words = new EnumMap<>(Map.of(Kind.USAGE, "usage", Kind.PRECONDITION, "refused",
                Kind.ROLLED_BACK, "rolled-back", Kind.COMMITTED, "committed", Kind.UNKNOWN, "unknown",
                Kind.FAILED, "failed"));
        assertThat(codes.keySet()).containsExactly(Kind.values());
        List<Integer> seen = new ArrayList<>(List.of(ExitCodes.SUCCESS));
        for (Kind kind : Kind.values()) {
            VmsOn on = kind == Kind.UNKNOWN ? null : OLD;
            Outcome o = Outcome.of(new EngineException(kind, "the sentence", on, null));
            assertThat(o.exitCode()).as("%s", kind).isEqualTo(codes.get(kind)).isEqualTo(ExitCodes.of(kind))
                    .isNotIn(seen);
            seen.add(o.exitCode());
            assertThat(ExitCodes.kind(o.exitCode())).isEqualTo(kind);
            JsonNode j = json(o, null);
            assertThat(j.path("outcome").asText()).isEqualTo(words.get(kind)).isEqualTo(kind.word());
            assertThat(j.path("reason").asText()).isEqualTo("the sentence");
            assertThat(j.has("vms_on")).as("a failure always says where the VMs are, null if nobody knows").isTrue();
            if (on == null) {
                assertThat(j.get("vms_on").isNull()).isTrue();
            } else {
                assertThat(j.path("vms_on").path("name").asText()).isEqualTo("demo");
                assertThat(j.path("vms_on").path("pid").asLong()).isEqualTo(100);
            }
        }
    }

    @Test
    void aCommandLineThatDoesNotParseIsUsageAndAnythingUnforeseenFailed() {
        Outcome badValue = Outcome.of(new IllegalArgumentException("not a size: 'lots'"));
        assertThat(badValue.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badValue.word()).isEqualTo("usage");
        Outcome unforeseen = Outcome.of(new ControlException("connection reset"));
        assertThat(unforeseen.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(json(unforeseen, null).toString())
                .isEqualTo("{\"outcome\":\"failed\",\"reason\":\"connection reset\",\"vms_on\":null}");
        assertThat(Outcome.of(new NullPointerException()).reason()).isEqualTo("NullPointerException");
    }

    @Test
    void aReportShownWithItsFailureKeepsItsFiguresUnderTheFailuresOutcome() {
        ObjectNode report = JsonOutput.object().put("outcome", "rolled-back").put("reason", "restore failed")
                .put("blackout_us", -1);
        Outcome o = Outcome.of(new OutputAndFailure(Kind.ROLLED_BACK, "replacement rolled back: restore failed",
                OLD, report));
        JsonNode j = json(o, report);
        assertThat(j.toString()).isEqualTo("{\"outcome\":\"rolled-back\",\"reason\":\"replacement rolled back:"
                + " restore failed\",\"vms_on\":{\"name\":\"demo\",\"pid\":100},\"blackout_us\":-1}");
    }

    @Test
    void successesSayOkOrCommittedFirst() {
        ObjectNode list = JsonOutput.object();
        list.putArray("instances");
        assertThat(Outcome.ok().render(list)).isEqualTo("{\"outcome\":\"ok\",\"instances\":[]}");
        ObjectNode replaced = JsonOutput.object().put("outcome", "committed").put("blackout_us", 90);
        assertThat(Outcome.committed(new VmsOn("demo", 200)).render(replaced)).isEqualTo(
                "{\"outcome\":\"committed\",\"vms_on\":{\"name\":\"demo\",\"pid\":200},\"blackout_us\":90}");
        assertThat(Outcome.ok().exitCode()).isZero();
        assertThat(Outcome.committed(null).exitCode()).isZero();
    }
}
