package dev.hyperfresh.vmm.handover;

import dev.hyperfresh.kvm.Cap;
import dev.hyperfresh.kvm.Cpuid;
import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.Vcpu;
import dev.hyperfresh.kvm.Vm;
import dev.hyperfresh.kvm.snapshot.SaveableMsrs;
import dev.hyperfresh.vmm.boot.GuestCpuid;

/**
 * What this standby's KVM gives a vCPU set up as hfvisor sets up its own, read from a scratch VM and vCPU: the
 * CPUID such a vCPU presents (KVM_GET_CPUID2 after hfvisor's KVM_SET_CPUID2, the same read that fills an offer's
 * {@code cpuid} on the old side; on PVM far more than KVM_GET_SUPPORTED_CPUID, on VMX/SVM the same), the MSRs it can
 * save and restore, its TSC frequency. Gathered once per standby, at its first offer (never in a cutover).
 */
public record StandbyKvm(Cpuid presentedCpuid, int[] saveableMsrs, int tscKhz, boolean tscScalable) {
    public StandbyKvm {
        saveableMsrs = saveableMsrs.clone();
    }

    public static StandbyKvm probe(Kvm kvm) {
        try (Vm vm = kvm.createVm()) {
            vm.createIrqchip();   // as VirtualMachine does before its vCPUs: the LAPIC is in the kernel
            try (Vcpu vcpu = vm.createVcpu(0)) {
                vcpu.setCpuid(GuestCpuid.forVcpu(kvm.supportedCpuid(), 0));
                return new StandbyKvm(vcpu.getCpuid(), SaveableMsrs.of(kvm, vcpu), vcpu.getTscKhz(),
                        kvm.has(Cap.TSC_CONTROL));
            }
        }
    }
}
