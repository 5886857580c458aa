package dev.hyperfresh.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code handover-cutover} did. {@code outcome} is {@value #COMMITTED} (the VMs run on {@code newInstance},
 * under the old instance's name) or {@value #ROLLED_BACK} (they run on in the old instance; {@code reason} says
 * why). {@code phasesUs} holds pause, save, handoff, restore and resume in that order.
 */
public record CutoverReport(String outcome, String reason, long blackoutUs, long stateBytes,
                            Map<String, Long> phasesUs, InstanceRef newInstance) {
    public static final String COMMITTED = "committed";
    public static final String ROLLED_BACK = "rolled-back";

    public CutoverReport {
        phasesUs = phasesUs == null ? Map.of() : new LinkedHashMap<>(phasesUs);
    }

    public boolean committed() {
        return COMMITTED.equals(outcome);
    }
}
