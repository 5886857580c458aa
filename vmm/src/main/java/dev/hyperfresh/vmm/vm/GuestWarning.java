package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.KvmFlavor;
import java.util.Optional;

/**
 * What an operator must hear before a guest runs where it will not get far: Linux on PVM, whose early boot is all
 * ring 0, which PVM emulates (hfvisor(1), "PVM"). Not a refusal. hfvisor says it at launch; the shell says it
 * again from {@code info} ({@code kvm} and each VM's guest kind), so both read this one sentence.
 */
public final class GuestWarning {
    private GuestWarning() {
    }

    /** {@code kvm} is a {@link KvmFlavor#label()} as {@code info} carries it. */
    public static Optional<String> of(String kvm, String guestKind, String vmName) {
        if (!KvmFlavor.PVM.label().equals(kvm) || !VmConfig.LINUX.equals(guestKind)) {
            return Optional.empty();
        }
        return Optional.of("VM " + vmName + " boots Linux on a PVM host: Linux's early boot runs entirely in emulated"
                + " ring 0 there (~1000x slower than native), and a Debian 6.1 kernel printed nothing in 4 minutes;"
                + " Linux guests are for VMX/SVM hosts (man hfvisor, PVM)");
    }
}
