package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import java.util.List;
import java.util.Map;

/** Everything of a paused VM except its RAM: VM-wide KVM state, every vCPU, and device state by device name. */
public record VmSavedState(VmSnapshot vm, List<VcpuSnapshot> vcpus, Map<String, byte[]> devices) {
    public VmSavedState {
        vcpus = List.copyOf(vcpus);
        devices = Map.copyOf(devices);
    }
}
