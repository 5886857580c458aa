package dev.hyperfresh.engine;

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
}
