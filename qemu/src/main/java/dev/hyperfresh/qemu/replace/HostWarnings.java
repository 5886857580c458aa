package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.KvmFlavor;
import dev.hyperfresh.qemu.Accelerator;
import java.util.List;

/**
 * What an operator must know about replacing a QEMU on this host that no refusal covers. On a PVM host QEMU's own
 * migration (7.2, the replacement's and QEMU's own switch alike) has zeroed the guest's upper vector registers:
 * hfguest's counters found ymm8-15 lost in every replacement (docs/BENCHMARKS.md). Not ours to mend; the operator
 * decides whether the guest can live with it.
 */
public final class HostWarnings {
    static final String PVM_VECTOR_STATE = "this host's KVM is PVM, where QEMU's migration has been seen to lose the"
            + " guest's AVX register state (QEMU 7.2: the upper halves of ymm8-15 zeroed in every replacement);"
            + " a guest using AVX may go on with wrong values (docs/QEMU.md)";

    private HostWarnings() {
    }

    /** The warnings for replacing a QEMU that runs on {@code accelerator} here; none on TCG or off PVM. */
    public static List<String> forReplacing(Accelerator accelerator) {
        return warnings(accelerator, accelerator == Accelerator.KVM ? Kvm.hostFlavor() : KvmFlavor.UNKNOWN);
    }

    static List<String> warnings(Accelerator accelerator, KvmFlavor kvm) {
        return accelerator == Accelerator.KVM && kvm == KvmFlavor.PVM ? List.of(PVM_VECTOR_STATE) : List.of();
    }
}
