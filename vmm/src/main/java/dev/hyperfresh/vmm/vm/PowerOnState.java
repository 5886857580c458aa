package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.Vcpu;
import dev.hyperfresh.kvm.Vm;
import dev.hyperfresh.kvm.snapshot.SaveableMsrs;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import dev.hyperfresh.vmm.devices.StatefulDevice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A VM as it was at power-on, for a reset to put back: each vCPU and the in-kernel PIT and interrupt controllers as
 * KVM made them (taken before anything booted), and every device's state as it was when the VM started. KVM has
 * no reset of its own, so this is how registers, MSRs, local APICs, pending events and the chips get their reset
 * values without hfvisor writing each one out. The TSC and other time-varying MSRs and kvmclock run on: a reset
 * does not turn the VM's time back.
 */
final class PowerOnState {
    private final List<VcpuSnapshot> vcpus;
    private final VmSnapshot chips;
    private Map<String, byte[]> devices = Map.of();

    private PowerOnState(List<VcpuSnapshot> vcpus, VmSnapshot chips) {
        this.vcpus = vcpus;
        this.chips = chips;
    }

    /** Takes the vCPUs' and chips' state of a VM just made (nothing loaded, no vCPU run). */
    static PowerOnState ofNewVm(Vm vm, List<Vcpu> vcpus, int[] msrIndices) {
        int[] resettable = Arrays.stream(msrIndices).filter(i -> !SaveableMsrs.TIME_VARYING.contains(i)).toArray();
        List<VcpuSnapshot> saved = new ArrayList<>();
        for (Vcpu v : vcpus) {
            saved.add(VcpuSnapshot.save(v, resettable));
        }
        return new PowerOnState(List.copyOf(saved), VmSnapshot.save(vm));
    }

    /** Takes the devices' state as the VM starts (they are all attached by then). */
    void devicesAtStart(Map<String, StatefulDevice> attached) {
        Map<String, byte[]> states = new LinkedHashMap<>();
        attached.forEach((name, device) -> states.put(name, device.saveState()));
        devices = states;
    }

    /** Puts it all back into the paused VM: vCPUs, then the chips, then the devices (docs/STATE-ORDER.md). */
    void restore(Vm vm, List<Vcpu> into, Map<String, StatefulDevice> attached) {
        for (int i = 0; i < into.size(); i++) {
            Vcpu v = into.get(i);
            VcpuSnapshot s = vcpus.get(i);
            // the CPUID the vCPU runs with stays (a handover may have set the old instance's); KVM cannot change it
            new VcpuSnapshot(s.id(), s.mpState(), s.regs(), s.sregs(), s.xsave(), s.xcrs(), s.debugRegs(), s.lapic(),
                    s.tscKhz(), v.givenCpuid(), s.msrs(), s.events()).restoreInto(v);
        }
        new VmSnapshot(chips.pit(), vm.getClock(), chips.picMaster(), chips.picSlave(), chips.ioapic())
                .restoreInto(vm);
        devices.forEach((name, state) -> attached.get(name).restoreState(state));
    }
}
