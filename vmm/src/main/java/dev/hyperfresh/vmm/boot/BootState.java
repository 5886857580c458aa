package dev.hyperfresh.vmm.boot;

import dev.hyperfresh.kvm.Msrs;
import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Sregs;
import java.util.function.UnaryOperator;

/**
 * How the boot vCPU starts: its registers, a change to KVM's default special registers (segments, CR0/CR3/CR4,
 * EFER, descriptor tables) and any MSRs to set first. {@code everyVcpu}: every vCPU starts so, runnable and with
 * its local APIC enabled, as in a guest that has brought all its CPUs up (the other vCPUs otherwise wait for the
 * guest's INIT and SIPI, as on a real machine).
 */
public record BootState(Regs regs, UnaryOperator<Sregs> sregs, Msrs msrs, boolean everyVcpu) {
    public static BootState of(Regs regs, UnaryOperator<Sregs> sregs) {
        return new BootState(regs, sregs, new Msrs(new int[0], new long[0]), false);
    }

    /** Every vCPU started as {@link #of} starts the boot vCPU. */
    public static BootState onEveryVcpu(Regs regs, UnaryOperator<Sregs> sregs) {
        return new BootState(regs, sregs, new Msrs(new int[0], new long[0]), true);
    }
}
