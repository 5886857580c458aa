package dev.hyperfresh.vmm.control;

import java.util.List;

/**
 * What {@code handover-prepare} did: the standby that now maps every VM's RAM, and what that cost. In remap mode
 * no guest page is copied ({@code bytesCopied} is 0, {@code rounds} 0) and the standby's resident set shows the
 * shared mapping; in copy mode {@code bytesCopied} counts the pre-copy rounds (round 0 sends all RAM). {@code left}
 * are the VMs that do not move (stopped or failed: nothing of them runs); they end with the old instance.
 * {@code guestCpus}: the CPUs the standby keeps for the vCPUs until a second after the cutover (empty: none), which
 * the old instance leaves once the VMs run there and a console watching the cutover stays off.
 * {@code passesService}: the old instance is a systemd service's main process and, at the commit, makes the standby
 * that and moves it into the service's cgroups (which a console must not do before: were the old instance to die
 * before the commit, systemd would end the service, killing the standby in its cgroup with the VMs it took).
 */
public record PrepareReply(InstanceRef target, List<InstanceInfo.Vm> vms, String memory, long memoryBytes,
                           long bytesCopied, int rounds, int fdsPassed, long populateUs, long prepareUs,
                           long standbyRssBytes, List<InstanceInfo.Vm> left, List<Integer> guestCpus,
                           boolean passesService) {
    public PrepareReply {
        vms = List.copyOf(vms);
        left = left == null ? List.of() : List.copyOf(left);
        guestCpus = guestCpus == null ? List.of() : List.copyOf(guestCpus);
    }

    public PrepareReply withLeft(List<InstanceInfo.Vm> stayBehind) {
        return new PrepareReply(target, vms, memory, memoryBytes, bytesCopied, rounds, fdsPassed, populateUs,
                prepareUs, standbyRssBytes, stayBehind, guestCpus, passesService);
    }
}
