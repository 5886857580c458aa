package dev.hyperfresh.vmm.control;

import java.util.Map;

/**
 * How {@code handover-cutover} ended. {@code committed}: the new instance runs every VM and this one exits;
 * {@code rolled-back}: nothing moved, the VMs run on here ({@code reason} says why). Times are CLOCK_MONOTONIC
 * microseconds; the blackout runs from the last guest instruction here to the first KVM_RUN there.
 */
public record CutoverReply(String outcome, String reason, long blackoutUs, long stateBytes,
                           Map<String, Long> phasesUs, InstanceRef newInstance) {
    public static final String COMMITTED = "committed";
    public static final String ROLLED_BACK = "rolled-back";

    public CutoverReply {
        phasesUs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(phasesUs));
    }

    public boolean committed() {
        return COMMITTED.equals(outcome);
    }
}
