package dev.hyperfresh.qemu;

import java.util.List;

/**
 * How QEMU runs the guest's CPUs. Always chosen explicitly: a replacement asked for KVM never falls back to TCG
 * (emulation), it refuses instead.
 */
public enum Accelerator {
    KVM("kvm", List.of("-accel", "kvm", "-cpu", "host,-arch-capabilities")),
    TCG("tcg", List.of("-accel", "tcg,thread=single", "-cpu", "max"));

    private final String qemuName;
    private final List<String> launchArgs;

    /**
     * {@code launchArgs}: accelerator and CPU model for a VM we start ourselves. On KVM, QEMU 7.2 aborts on hosts
     * whose KVM refuses MSR 0x10a (IA32_ARCH_CAPABILITIES, see the platform notes), so that feature is left out.
     * TCG runs all vCPUs on one host thread, leaving the other cores to the QEMU main loops and the replacement.
     */
    Accelerator(String qemuName, List<String> launchArgs) {
        this.qemuName = qemuName;
        this.launchArgs = launchArgs;
    }

    public String qemuName() {
        return qemuName;
    }

    public List<String> launchArgs() {
        return launchArgs;
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
