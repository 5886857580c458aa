package dev.hyperfresh.vmm.control;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@code handover-cutover} ended. {@code committed}: the new instance runs every VM and this one exits;
 * {@code rolled-back}: nothing moved, the VMs stay here ({@code reason} says why and what each VM does now). Times
 * are CLOCK_MONOTONIC microseconds; the blackout runs from the last guest instruction here to the first KVM_RUN
 * there, -1 when unknown (the standby's reply was lost, or no vCPU ran there within 10 s). In copy mode
 * {@code bytesCopied} and {@code rounds} count the cutover's dirty-page rounds (the last one with the VMs paused);
 * {@code checksums} is set when the prepare asked to verify. {@code traceUs} holds each step reached (handover's
 * {@code CutoverStep}, both sides) in microseconds since the guest's last instruction here (docs/HANDOVER.md).
 */
public record CutoverReply(String outcome, String reason, long blackoutUs, long stateBytes,
                           Map<String, Long> phasesUs, Map<String, Long> traceUs, InstanceRef newInstance, long bytesCopied, int rounds,
                           List<Checksum> checksums) {
    public static final String COMMITTED = "committed";
    public static final String ROLLED_BACK = "rolled-back";

    public CutoverReply {
        phasesUs = Collections.unmodifiableMap(new LinkedHashMap<>(phasesUs));
        traceUs = traceUs == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(traceUs));
        checksums = checksums == null ? null : List.copyOf(checksums);
    }

    /** CRC32C of one VM's whole RAM as the old instance and the standby each see it, the VMs paused. */
    public record Checksum(String vm, long source, long target) {
        public boolean equal() {
            return source == target;
        }
    }

    public boolean committed() {
        return COMMITTED.equals(outcome);
    }
}
