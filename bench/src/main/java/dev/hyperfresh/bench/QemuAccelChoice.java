package dev.hyperfresh.bench;

import dev.hyperfresh.qemu.Accelerator;
import java.util.Optional;

/**
 * The accelerator the QEMU rows run on, and how their rows name it. KVM whenever /dev/kvm is usable; TCG only when
 * asked for, since TCG emulates every guest instruction and its figures say nothing about a real host.
 */
record QemuAccelChoice(Accelerator accelerator, String rowLabel) {
    static final String TCG_LABEL = "tcg (emulated: figures meaningless)";

    /**
     * @param asked        {@code --qemu-accel}, or null
     * @param kvmUnusable  why /dev/kvm cannot be used here, if it cannot
     * @param hostKvm      {@link HostKvm#describe()}, the KVM a KVM row runs on
     */
    static QemuAccelChoice choose(Accelerator asked, Optional<String> kvmUnusable, String hostKvm) {
        Accelerator a = asked != null ? asked : kvmUnusable.isEmpty() ? Accelerator.KVM : null;
        if (a == null) {
            throw new IllegalArgumentException("QEMU backends need KVM, but /dev/kvm is unusable ("
                    + kvmUnusable.get() + "). Pass --qemu-accel tcg to run them emulated anyway (only to see the"
                    + " harness work: TCG figures are meaningless).");
        }
        if (a == Accelerator.KVM && kvmUnusable.isPresent()) {
            throw new IllegalArgumentException("--qemu-accel kvm, but /dev/kvm is unusable (" + kvmUnusable.get()
                    + ")");
        }
        return new QemuAccelChoice(a, a == Accelerator.TCG ? TCG_LABEL : "kvm: " + hostKvm);
    }
}
