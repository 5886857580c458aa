package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Segment;
import dev.hyperfresh.kvm.Sregs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Delivers the breakpoint exception (#BP, vector 3) of an {@code int3} at RIP through the guest's own IDT, as a
 * 64-bit CPU does (SDM vol. 3, 6.14 "Exception and interrupt handling in 64-bit mode"). A PVM-backed KVM stops a
 * 64-bit guest on int3 with an emulation failure instead of delivering it, and an unmodified Linux kernel runs an
 * int3 self-test early in boot; re-injecting the exception through KVM would not do, since how KVM computes the
 * return address of an injected software exception differs by vendor. Pure logic over the vCPU's registers and a
 * view of guest linear memory; the caller writes the result back.
 */
final class BreakpointDelivery {
    static final int INT3 = 0xcc;
    private static final int VECTOR = 3;
    private static final long EFER_LMA = 1L << 10;
    private static final long TF = 1L << 8, IF = 1L << 9, NT = 1L << 14, RF = 1L << 16, VM = 1L << 17;
    private static final int INTERRUPT_GATE = 0xe, TRAP_GATE = 0xf;
    private static final int FRAME_BYTES = 5 * 8;

    private BreakpointDelivery() {
    }

    /** The guest's linear address space, through its page tables. */
    interface LinearMemory {
        byte[] read(long linear, int length) throws Undeliverable;

        void write(long linear, byte[] data) throws Undeliverable;
    }

    /** The vCPU's registers once the exception has been delivered: RIP at the handler, the frame pushed. */
    record Delivered(Regs regs, Sregs sregs) {
    }

    /** The exception cannot be delivered as the CPU would (the CPU would fault again, or we do not model it). */
    static final class Undeliverable extends Exception {
        Undeliverable(String why) {
            super(why);
        }
    }

    private static boolean atInt3(Regs regs, Sregs sregs, LinearMemory memory) {
        try {
            return (memory.read(sregs.segment(Sregs.CS).base() + regs.rip(), 1)[0] & 0xff) == INT3;
        } catch (Undeliverable unreadable) {
            return false;
        }
    }

    static Delivered deliver(Regs regs, Sregs sregs, LinearMemory memory) throws Undeliverable {
        Segment cs = sregs.segment(Sregs.CS);
        if ((sregs.efer() & EFER_LMA) == 0 || !cs.l()) {
            throw new Undeliverable("the vCPU is not in 64-bit mode");
        }
        if (!atInt3(regs, sregs, memory)) {
            throw new Undeliverable(String.format("no int3 at rip 0x%x", regs.rip()));
        }
        int cpl = cs.selector() & 3;
        Gate gate = gate(sregs, memory);
        if (gate.dpl < cpl) {
            throw new Undeliverable("the #BP gate's DPL " + gate.dpl + " is below CPL " + cpl + " (#GP on a CPU)");
        }
        Segment target = codeSegment(sregs, memory, gate.selector);
        int newCpl = target.dpl();
        if (newCpl > cpl) {
            throw new Undeliverable("the #BP handler's code segment has DPL " + newCpl + " above CPL " + cpl);
        }
        long stack;
        if (gate.ist != 0) {
            stack = tssQword(sregs, memory, 36 + 8 * (gate.ist - 1), "IST" + gate.ist);
        } else if (newCpl < cpl) {
            stack = tssQword(sregs, memory, 4 + 8 * newCpl, "RSP" + newCpl);
        } else {
            stack = regs.rsp();
        }
        long frame = (stack & ~0xfL) - FRAME_BYTES;
        memory.write(frame, le(FRAME_BYTES).putLong(regs.rip() + 1).putLong(cs.selector()).putLong(regs.rflags())
                .putLong(regs.rsp()).putLong(sregs.segment(Sregs.SS).selector()).array());

        long flags = regs.rflags() & ~(TF | NT | RF | VM) & (gate.type == INTERRUPT_GATE ? ~IF : ~0L);
        Regs after = regs.withU64(Regs.RIP, gate.offset).withU64(Regs.RSP, frame).withU64(Regs.RFLAGS, flags);
        Sregs afterS = sregs.withSegment(Sregs.CS, target);
        if (newCpl != cpl) {
            // a privilege change loads SS with a null selector whose RPL is the new CPL
            afterS = afterS.withSegment(Sregs.SS,
                    new Segment(0, 0, newCpl, 0, false, newCpl, false, false, false, false, false, true));
        }
        return new Delivered(after, afterS);
    }

    private record Gate(long offset, int selector, int ist, int type, int dpl) {
    }

    private static Gate gate(Sregs sregs, LinearMemory memory) throws Undeliverable {
        long base = sregs.u64(Sregs.IDT);
        int limit = sregs.u16(Sregs.IDT + 8);
        if (VECTOR * 16 + 15 > limit) {
            throw new Undeliverable(String.format("the IDT (limit 0x%x) has no gate for vector 3", limit));
        }
        ByteBuffer g = ByteBuffer.wrap(memory.read(base + VECTOR * 16, 16)).order(ByteOrder.LITTLE_ENDIAN);
        long offset = (g.getShort(0) & 0xffffL) | ((g.getShort(6) & 0xffffL) << 16)
                | ((g.getInt(8) & 0xffffffffL) << 32);
        int attributes = g.get(5) & 0xff;
        int type = attributes & 0xf;
        if ((attributes & 0x80) == 0) {
            throw new Undeliverable("the #BP gate is not present (#NP on a CPU)");
        }
        if (type != INTERRUPT_GATE && type != TRAP_GATE) {
            throw new Undeliverable("the #BP gate has type 0x" + Integer.toHexString(type)
                    + ", not a 64-bit interrupt or trap gate");
        }
        return new Gate(offset, g.getShort(2) & 0xffff, g.get(4) & 7, type, (attributes >> 5) & 3);
    }

    private static Segment codeSegment(Sregs sregs, LinearMemory memory, int selector) throws Undeliverable {
        int index = selector & ~7;
        if ((selector & 4) != 0 || index == 0) {
            throw new Undeliverable(String.format("the #BP gate's selector 0x%x is null or in an LDT", selector));
        }
        long gdtBase = sregs.u64(Sregs.GDT);
        int gdtLimit = sregs.u16(Sregs.GDT + 8);
        if (index + 7 > gdtLimit) {
            throw new Undeliverable(String.format("selector 0x%x lies beyond the GDT (limit 0x%x)", selector,
                    gdtLimit));
        }
        long d = ByteBuffer.wrap(memory.read(gdtBase + index, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        int type = (int) (d >>> 40) & 0xf;
        boolean system = (d & (1L << 44)) == 0;
        int dpl = (int) (d >>> 45) & 3;
        boolean present = (d & (1L << 47)) != 0;
        boolean avl = (d & (1L << 52)) != 0, l = (d & (1L << 53)) != 0, db = (d & (1L << 54)) != 0;
        boolean g = (d & (1L << 55)) != 0;
        if (system || (type & 8) == 0 || !present || !l || db) {
            throw new Undeliverable(String.format("selector 0x%x is not a present 64-bit code segment", selector));
        }
        if ((type & 4) != 0) {
            throw new Undeliverable(String.format("selector 0x%x is a conforming code segment (not modelled)",
                    selector));
        }
        long limit = (d & 0xffff) | ((d >>> 32) & 0xf0000);
        if (g) {
            limit = (limit << 12) | 0xfff;
        }
        long base = ((d >>> 16) & 0xffffff) | (((d >>> 56) & 0xff) << 24);
        // the CPU marks a loaded descriptor accessed; RPL of the new CS is the new CPL
        return new Segment(base, (int) limit, index | dpl, type | 1, true, dpl, false, true, true, g, avl, false);
    }

    private static long tssQword(Sregs sregs, LinearMemory memory, int offset, String what) throws Undeliverable {
        Segment tr = sregs.segment(Sregs.TR);
        if ((tr.limit() & 0xffffffffL) < offset + 7) {
            throw new Undeliverable(String.format("the TSS (limit 0x%x) has no %s", tr.limit(), what));
        }
        return ByteBuffer.wrap(memory.read(tr.base() + offset, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
