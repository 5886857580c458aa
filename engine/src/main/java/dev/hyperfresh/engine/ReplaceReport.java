package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.control.CutoverReply;
import dev.hyperfresh.vmm.control.InstanceRef;
import java.util.List;
import java.util.Map;

/**
 * A whole replacement: every phase's time (standby, remap, then the cutover's own phases, then verify),
 * the blackout, what moved (state) against what stayed (memory), the builds before and after, and the guests'
 * verdict. {@code verification} is null when the cutover rolled back. {@code traceUs}: the cutover's steps on both
 * instances, in microseconds since the guest's last instruction on the old one (docs/HANDOVER.md, "Critical path").
 * {@code warnings}: what went wrong beside the replacement (its history line not written), empty as a rule.
 */
public record ReplaceReport(String instance, String outcome, String reason, long blackoutUs, long stateBytes,
                            long memoryBytes, long bytesCopied, Map<String, Long> phasesUs, InstanceRef before,
                            InstanceRef after, Verification verification,
                            Map<String, Long> traceUs, List<String> warnings) {
    public boolean verified() {
        return verification != null && verification.ok();
    }

    /**
     * What failed, as the step's outcome: a rolled-back cutover, or a committed one whose verify found problems;
     * null when it committed and verified.
     */
    public EngineException failure() {
        if (!CutoverReply.COMMITTED.equals(outcome)) {
            return new EngineException(EngineException.Kind.ROLLED_BACK, "replacement rolled back: " + reason,
                    VmsOn.of(after), null);
        }
        if (!verified()) {
            String problems = verification == null ? "it did not run" : String.join("; ", verification.problems());
            return new EngineException(EngineException.Kind.COMMITTED, "the replacement committed but verify found"
                    + " problems: " + problems, VmsOn.of(after), null);
        }
        return null;
    }
}
