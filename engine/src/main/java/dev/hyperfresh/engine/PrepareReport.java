package dev.hyperfresh.engine;

import java.util.List;

/**
 * What {@code handover-prepare} did: the standby now maps every VM's memory. {@code bytesCopied} is the guest
 * memory that moved (0: it is shared, not copied) against {@code memoryBytes} in total.
 */
public record PrepareReport(InstanceRef target, List<Vm> vms, long memoryBytes, long bytesCopied, int fdsPassed,
                            long populateUs, long prepareUs, long standbyRssBytes) {
    public PrepareReport {
        vms = vms == null ? List.of() : List.copyOf(vms);
    }

    public record Vm(String name, long memoryBytes, int vcpus) {
    }
}
