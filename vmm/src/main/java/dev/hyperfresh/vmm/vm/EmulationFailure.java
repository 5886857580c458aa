package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Segment;
import dev.hyperfresh.kvm.Sregs;
import java.util.function.LongSupplier;

/**
 * What hfvisor does with an instruction KVM could not emulate (KVM_EXIT_INTERNAL_ERROR, suberror 1). A KVM that
 * runs guest ring 0 through its instruction emulator (PVM) stops there on instructions a CPU executes without
 * trouble. The cheap and safe ones are finished here as the CPU would (XGETBV; int3 is delivered by
 * {@link BreakpointDelivery}); anything else ends the VM with the instruction named. Pure logic over the vCPU's
 * registers and the instruction bytes; the caller writes the result back.
 */
final class EmulationFailure {
    /**
     * hfguest writes this port right before an instruction it wants handled here (its cmdline {@code int3=vmm}
     * does so for its int3 checks): the vCPU then stands on an instruction KVM has not executed, as after an
     * emulation failure on PVM, on any KVM, so this path is tested where KVM emulates it or never needs to.
     * (For int3, KVM_GUESTDBG_USE_SW_BP would not do: QEMU's emulated SVM, our test platform, checks an int3
     * against the INTn intercept, not the #BP one KVM sets, so the int3 never exits.)
     */
    static final int PROBE_PORT = 0xea;
    /** The longest x86 instruction: how many bytes at RIP are worth reading. */
    static final int MAX_INSTRUCTION = 15;
    private static final long CR0_PE = 1, CR4_OSXSAVE = 1L << 18, EFER_LMA = 1L << 10;
    private static final long TF = 1L << 8, RF = 1L << 16;
    private static final byte[] XGETBV = {0x0f, 0x01, (byte) 0xd0};

    private EmulationFailure() {
    }

    sealed interface Outcome {
    }

    /** Finished here: the registers after the instruction. */
    record Emulated(ExitCounts.Emulated instruction, Regs regs) implements Outcome {
    }

    /** An int3: deliver #BP through the guest's IDT. */
    record Breakpoint() implements Outcome {
    }

    /** The VM cannot go on; {@code reason} names the instruction and why. */
    record Unemulatable(String reason) implements Outcome {
    }

    /**
     * @param code          the bytes at CS:RIP (KVM's own copy, or read from guest memory), at most 15
     * @param xcr0          the vCPU's XCR0 (KVM_GET_XCRS), asked only for an XGETBV
     * @param xinuseVisible the guest's CPUID offers XGETBV with ECX=1 (leaf 0xd sub-leaf 1 EAX bit 2)
     */
    static Outcome decide(byte[] code, Regs regs, Sregs sregs, LongSupplier xcr0, boolean xinuseVisible) {
        if (code.length == 0) {
            return new Unemulatable(String.format("the code at rip 0x%x could not be read", regs.rip()));
        }
        if ((code[0] & 0xff) == BreakpointDelivery.INT3) {
            return new Breakpoint();
        }
        boolean long64 = long64(sregs);
        String name = InstructionName.of(code, long64);
        if (startsWith(code, XGETBV)) {
            return xgetbv(name, regs, sregs, xcr0, xinuseVisible, long64);
        }
        return new Unemulatable(name + String.format(" at rip 0x%x: ", regs.rip()) + (cpl(sregs) == 0
                ? "KVM's instruction emulator lacks it, and a KVM that runs the guest's ring 0 through that"
                  + " emulator (as a PVM host does) stops on it, so the guest must not use it in ring 0"
                : "KVM's instruction emulator lacks it"));
    }

    private static Outcome xgetbv(String name, Regs regs, Sregs sregs, LongSupplier xcr0, boolean xinuseVisible,
                                  boolean long64) {
        long ecx = regs.u64(Regs.RCX) & 0xffffffffL;
        String at = String.format(" at rip 0x%x", regs.rip());
        if ((sregs.cr4() & CR4_OSXSAVE) == 0) {
            return new Unemulatable(name + at + " with CR4.OSXSAVE clear: a CPU raises #UD, which hfvisor does"
                    + " not inject");
        }
        if (ecx != 0 && !(ecx == 1 && xinuseVisible)) {
            return new Unemulatable(name + at + String.format(" of XCR 0x%x: a CPU raises #GP(0), which hfvisor"
                    + " does not inject", ecx));
        }
        if ((regs.rflags() & TF) != 0) {
            return new Unemulatable(name + at + " while single-stepping (TF): the #DB after it is not modelled");
        }
        // XINUSE (ECX=1) may report a component in use that is in its initial state (SDM vol. 1, 13.6), so XCR0
        // itself is a correct answer for it
        long value = xcr0.getAsLong();
        Segment cs = sregs.segment(Sregs.CS);
        long rip = regs.rip() + XGETBV.length;
        rip = long64 ? rip : cs.db() ? rip & 0xffffffffL : rip & 0xffff;
        return new Emulated(ExitCounts.Emulated.XGETBV, regs.withU64(Regs.RAX, value & 0xffffffffL).withU64(Regs.RDX, value >>> 32)
                .withU64(Regs.RIP, rip).withU64(Regs.RFLAGS, regs.rflags() & ~RF));
    }

    static boolean long64(Sregs sregs) {
        return (sregs.efer() & EFER_LMA) != 0 && sregs.segment(Sregs.CS).l();
    }

    private static int cpl(Sregs sregs) {
        return (sregs.cr0() & CR0_PE) == 0 ? 0 : sregs.segment(Sregs.CS).selector() & 3;
    }

    private static boolean startsWith(byte[] code, byte[] prefix) {
        if (code.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (code[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
