package dev.hyperfresh.vmm.handover;

import dev.hyperfresh.kvm.CpuidEntry;
import dev.hyperfresh.vmm.boot.BootImage;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.control.MemoryMode;
import dev.hyperfresh.vmm.memory.MemoryRegion;
import java.util.List;
import java.util.Map;

/**
 * What the old instance tells a standby in {@code adopt}, besides the descriptors (ledger first, then, in remap
 * mode, one memfd per VM in {@link #vms} order, then the open image of each VM's disks, VM by VM, disk by disk,
 * then the tap of each VM's network interfaces, VM by VM, then, when {@code nameLock}, the old instance's name lock, then, when {@code offerSignal}, an eventfd the old
 * instance signals when it has offered the state or withdrawn before offering): enough
 * to rebuild each VM around the same RAM, or fresh RAM the pages will be copied into ({@code memory} copy), and to
 * check, before anything is paused, that the standby can restore what will be saved. {@code shutdownTimeoutMs}: the
 * instance's {@code --shutdown-timeout}, which the standby takes over with its name (null from an older instance:
 * the standby keeps its own). {@code serviceManager}: the notification socket of the service manager (systemd)
 * whose service the old instance is, which makes the standby the service's main process at the commit and which
 * the standby then answers to (null: none).
 */
record Offer(long oldPid, String oldName, String oldSocket, String version, String buildId, Formats formats,
             int tscKhz, List<VmOffer> vms, MemoryMode memory, boolean nameLock,
             boolean offerSignal, Long shutdownTimeoutMs, String serviceManager) {
    Offer {
        vms = List.copyOf(vms);
        memory = memory == null ? MemoryMode.REMAP : memory;
    }

    /** The saved-state format versions the old instance will write. */
    record Formats(int stateMajor, int stateMinor, int vcpuFormat, int vmFormat) {
    }

    /**
     * One VM: its shape, where its RAM sits, and the CPU features and MSRs its saved state will carry. A VM the
     * operator paused ({@code paused}) moves paused and stays so on the standby. {@code disks} and {@code nics}: its
     * disks and network interfaces in order, as {@code info} shows them (the standby opens none: it gets their
     * descriptors). {@code boot}: what it boots again on a reset, here as there (null: a reset powers it off; an
     * older instance sends none). {@code vcpuPinning}: the CPUs of each vCPU (by index) the operator pinned to fewer
     * than the process may use, which the standby gives its vCPU of that index (empty from an older instance).
     */
    record VmOffer(String name, long memoryBytes, int vcpus, boolean hugePages, String guestKind, String console,
                   List<MemoryRegion> regions, List<CpuidEntry> cpuid, int[] msrIndices, boolean paused,
                   List<InstanceInfo.Disk> disks, List<InstanceInfo.Nic> nics, BootImage boot,
                   Map<Integer, List<Integer>> vcpuPinning) {
        VmOffer {
            disks = disks == null ? List.of() : List.copyOf(disks);
            nics = nics == null ? List.of() : List.copyOf(nics);
            vcpuPinning = vcpuPinning == null ? Map.of() : Map.copyOf(vcpuPinning);
            regions = List.copyOf(regions);
            cpuid = List.copyOf(cpuid);
            msrIndices = msrIndices.clone();
        }
    }
}
