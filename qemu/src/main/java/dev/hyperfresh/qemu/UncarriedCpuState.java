package dev.hyperfresh.qemu;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.KvmFlavor;
import java.util.Optional;

/**
 * CPU state of the guest that QEMU's migration would drop. QEMU carries the XSAVE state (AVX and beyond) only when
 * its CPU model has XSAVE, and on KVM it builds that model from what KVM reports as supported. PVM reports no XSAVE
 * yet presents the host's CPUID to every guest, so a guest there uses AVX that QEMU does not know of: each migration
 * (QEMU's own switch as ours) zeroes the upper halves of the guest's ymm registers, as hfguest's canaries show. On
 * VMX/SVM, and under TCG, the guest is held to QEMU's model and there is nothing to lose.
 *
 * <p>Whether the guest has enabled XSAVE cannot be asked without harm: QEMU reads a vCPU's registers only by
 * fetching its whole state and writing it back, and on PVM that write-back is itself the loss. So the rule looks at
 * the host and the model alone.
 */
public final class UncarriedCpuState {
    private UncarriedCpuState() {
    }

    /** What a migration of this QEMU's guest would lose, in words for the operator; empty when nothing. */
    public static Optional<String> of(QemuInfo qemu) {
        if (qemu.accelerator() != Accelerator.KVM || qemu.cpuModelHasXsave()) {
            return Optional.empty(); // decided without opening /dev/kvm
        }
        return of(Accelerator.KVM, false, Kvm.hostFlavor());
    }

    static Optional<String> of(Accelerator accelerator, boolean modelHasXsave, KvmFlavor host) {
        if (accelerator != Accelerator.KVM || modelHasXsave || host != KvmFlavor.PVM) {
            return Optional.empty();
        }
        return Optional.of("QEMU's CPU model for it has no XSAVE, while this host's KVM (PVM) lets the guest use"
                + " XSAVE and AVX all the same, so QEMU's migration does not carry the guest's AVX registers: if the"
                + " guest uses them (Linux user space does), their upper halves come back zero");
    }
}
