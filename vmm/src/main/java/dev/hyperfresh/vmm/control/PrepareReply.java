package dev.hyperfresh.vmm.control;

import java.util.List;

/**
 * What {@code handover-prepare} did: the standby that now maps every VM's RAM, and what that cost. No guest page
 * is copied ({@code bytesCopied} is always 0 in remap mode); the standby's resident set shows the shared mapping.
 */
public record PrepareReply(InstanceRef target, List<InstanceInfo.Vm> vms, long memoryBytes, long bytesCopied,
                           int fdsPassed, long populateUs, long prepareUs, long standbyRssBytes) {
    public PrepareReply {
        vms = List.copyOf(vms);
    }
}
