package dev.hyperfresh.vmm.boot;

import dev.hyperfresh.kvm.Cpuid;

/** The CPUID a vCPU sees: what KVM supports, with this vCPU's APIC id and the hypervisor bit. */
public final class GuestCpuid {
    private static final int HYPERVISOR_BIT = 1 << 31;

    private GuestCpuid() {
    }

    public static Cpuid forVcpu(Cpuid supported, int apicId) {
        return supported
                .map(0x1, e -> e.withEbx((e.ebx() & 0x00ffffff) | apicId << 24).withEcx(e.ecx() | HYPERVISOR_BIT))
                .map(0xb, e -> e.withEdx(apicId))
                .map(0x1f, e -> e.withEdx(apicId));
    }
}
