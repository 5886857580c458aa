package dev.hyperfresh.vmm.handover;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.vmm.control.InstanceRef;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** What a standby instance offers the handover that fills it. */
public interface StandbyHost {
    Kvm kvm();

    /** What a vCPU of this KVM presents and can restore ({@link StandbyKvm#probe}), gathered once and kept. */
    StandbyKvm standbyKvm();

    InstanceRef self();

    FaultPoint fault();

    /** Takes the adopted VMs into the instance (events wired, not running yet). */
    void host(List<HostedVm> vms);

    /**
     * The commit point has passed: serve as the old instance did, under its name and socket path, holding its name
     * lock ({@code nameLock}, received with the VMs; null from an older build that passed none) and its
     * {@code shutdownTimeout} (null from an older build: this one's own), and answering to the service manager at
     * {@code serviceManager} as its service's main process (null: none; the old instance names this process so).
     */
    void becomeActive(String name, Path socket, Fd nameLock, Duration shutdownTimeout, String serviceManager);

    /** Nothing was or will be adopted: the standby ends (its VMs, if any, were discarded unrun). */
    void standbyDone(String why);
}
