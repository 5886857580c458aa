package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.persist.VmState;
import java.util.List;

/**
 * Every VM's saved state as a handover would move it, with its encoded size, against the guest memory that stays
 * where it is. {@code savedTo} is the file the encoded states went to, or null.
 */
public record Snapshot(String instance, List<VmState> states, long stateBytes, long memoryBytes, String savedTo) {
    public Snapshot {
        states = List.copyOf(states);
    }
}
