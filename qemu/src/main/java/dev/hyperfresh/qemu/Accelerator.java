package dev.hyperfresh.qemu;

import java.util.List;

/**
 * How QEMU runs the guest's CPUs. Always chosen explicitly: a replacement asked for KVM never falls back to TCG
 * (emulation), it refuses instead.
 */
public enum Accelerator {
    KVM("kvm", List.of("-cpu", "host,-arch-capabilities")),
    TCG("tcg", List.of("-cpu", "max"));

    private final String qemuName;
    private final List<String> cpuArgs;

    /**
     * {@code cpuArgs}: the CPU model for a VM we start ourselves. On KVM, QEMU 7.2 aborts on hosts whose KVM
     * refuses MSR 0x10a (IA32_ARCH_CAPABILITIES, see the platform notes), so that feature is left out.
     */
    Accelerator(String qemuName, List<String> cpuArgs) {
        this.qemuName = qemuName;
        this.cpuArgs = cpuArgs;
    }

    public String qemuName() {
        return qemuName;
    }

    public List<String> cpuArgs() {
        return cpuArgs;
    }

    public static Accelerator parse(String name) {
        for (Accelerator a : values()) {
            if (a.qemuName.equalsIgnoreCase(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown accelerator \"" + name + "\": use kvm or tcg");
    }
}
