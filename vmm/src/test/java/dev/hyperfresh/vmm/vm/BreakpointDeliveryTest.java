package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Segment;
import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.vmm.vm.BreakpointDelivery.Delivered;
import dev.hyperfresh.vmm.vm.BreakpointDelivery.Undeliverable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The frame and registers of a delivered #BP against the SDM's rules, on a flat guest in a byte array. */
class BreakpointDeliveryTest {
    private static final long IDT = 0x1000, GDT = 0x2000, TSS = 0x3000, CODE = 0x4000, HANDLER = 0x5000;
    private static final long USER_STACK = 0x8ff8, KERNEL_STACK = 0xa000, IST1 = 0xc000;
    private static final long IF = 1 << 9, TF = 1 << 8;

    private final byte[] ram = new byte[0x10000];
    private final BreakpointDelivery.LinearMemory memory = new BreakpointDelivery.LinearMemory() {
        @Override
        public byte[] read(long linear, int length) throws Undeliverable {
            check(linear, length);
            byte[] b = new byte[length];
            System.arraycopy(ram, (int) linear, b, 0, length);
            return b;
        }

        @Override
        public void write(long linear, byte[] data) throws Undeliverable {
            check(linear, data.length);
            System.arraycopy(data, 0, ram, (int) linear, data.length);
        }

        private void check(long linear, int length) throws Undeliverable {
            if (linear < 0 || linear + length > ram.length) {
                throw new Undeliverable("unmapped");
            }
        }
    };

    BreakpointDeliveryTest() {
        ram[(int) CODE] = (byte) BreakpointDelivery.INT3;
        putLong(GDT + 0x08, 0x00af9a000000ffffL); // kernel code 64
        putLong(GDT + 0x10, 0x00cf92000000ffffL); // kernel data
        putLong(GDT + 0x28, 0x00affa000000ffffL); // user code 64
        putLong(TSS + 4, KERNEL_STACK);           // RSP0
        putLong(TSS + 36, IST1);                  // IST1
    }

    @Test
    void fromRing3AnInterruptGateSwitchesToRsp0AndClearsIf() throws Undeliverable {
        gate(0xee, 0);
        Delivered d = BreakpointDelivery.deliver(regs(USER_STACK, IF | TF | 0x3002), sregs(0x2b, 3), memory);

        long frame = KERNEL_STACK - 40;
        assertThat(d.regs().rip()).isEqualTo(HANDLER);
        assertThat(d.regs().rsp()).isEqualTo(frame);
        assertThat(d.regs().rflags()).as("IF and TF cleared").isEqualTo(0x3002);
        assertThat(frameAt(frame)).containsExactly(CODE + 1, 0x2b, IF | TF | 0x3002, USER_STACK, 0x23);
        Segment cs = d.sregs().segment(Sregs.CS);
        assertThat(cs.selector()).isEqualTo(0x08);
        assertThat(cs.dpl()).isZero();
        assertThat(cs.l()).isTrue();
        Segment ss = d.sregs().segment(Sregs.SS);
        assertThat(ss.selector()).as("null SS, RPL = new CPL").isZero();
        assertThat(ss.unusable()).isTrue();
    }

    @Test
    void fromRing0ATrapGateWithIstUsesTheIstStackAlignedAndKeepsIf() throws Undeliverable {
        gate(0x8f, 1);
        Delivered d = BreakpointDelivery.deliver(regs(USER_STACK, IF | 2), sregs(0x08, 0), memory);

        long frame = IST1 - 40;
        assertThat(d.regs().rsp()).isEqualTo(frame);
        assertThat(d.regs().rflags()).isEqualTo(IF | 2);
        assertThat(frameAt(frame)).containsExactly(CODE + 1, 0x08, IF | 2, USER_STACK, 0x10);
        assertThat(d.sregs().segment(Sregs.SS).selector()).as("no privilege change: SS kept").isEqualTo(0x10);
    }

    @Test
    void fromRing0WithoutIstTheFrameGoesOnTheCurrentStackAlignedTo16() throws Undeliverable {
        gate(0x8e, 0);
        Delivered d = BreakpointDelivery.deliver(regs(USER_STACK, 2), sregs(0x08, 0), memory);
        assertThat(d.regs().rsp()).isEqualTo((USER_STACK & ~0xfL) - 40);
    }

    @Test
    void whatACpuWouldFaultOnIsRefusedWithTheReason() {
        gate(0x8e, 0); // DPL 0: int3 from ring 3 would raise #GP
        assertThatThrownBy(() -> BreakpointDelivery.deliver(regs(USER_STACK, 2), sregs(0x2b, 3), memory))
                .isInstanceOf(Undeliverable.class).hasMessageContaining("DPL 0 is below CPL 3");
        gate(0x6e, 0); // not present
        assertThatThrownBy(() -> BreakpointDelivery.deliver(regs(USER_STACK, 2), sregs(0x08, 0), memory))
                .hasMessageContaining("not present");
        gate(0xee, 0);
        ram[(int) CODE] = (byte) 0x90;
        assertThatThrownBy(() -> BreakpointDelivery.deliver(regs(USER_STACK, 2), sregs(0x08, 0), memory))
                .hasMessageContaining("no int3 at rip 0x4000");
        ram[(int) CODE] = (byte) BreakpointDelivery.INT3;
        Sregs compat = sregs(0x08, 0).withSegment(Sregs.CS, Segment.flat32Code(0x08));
        assertThatThrownBy(() -> BreakpointDelivery.deliver(regs(USER_STACK, 2), compat, memory))
                .hasMessageContaining("not in 64-bit mode");
    }

    private void gate(int attributes, int ist) {
        ByteBuffer g = ByteBuffer.wrap(ram, (int) IDT + 3 * 16, 16).order(ByteOrder.LITTLE_ENDIAN);
        g.putShort((short) HANDLER).putShort((short) 0x08).put((byte) ist).put((byte) attributes)
                .putShort((short) (HANDLER >>> 16)).putInt((int) (HANDLER >>> 32)).putInt(0);
    }

    private static Regs regs(long rsp, long rflags) {
        return Regs.initial().withU64(Regs.RIP, CODE).withU64(Regs.RSP, rsp).withU64(Regs.RFLAGS, rflags);
    }

    private static Sregs sregs(int cs, int cpl) {
        Segment code = new Segment(0, 0xffffffff, cs, 0xb, true, cpl, false, true, true, true, false, false);
        Segment data = new Segment(0, 0xffffffff, cpl == 3 ? 0x23 : 0x10, 0x3, true, cpl, true, true, false, true,
                false, false);
        Segment tr = new Segment(TSS, 0x67, 0x30, 0xb, true, 0, false, false, false, false, false, false);
        return new Sregs(new byte[Sregs.SIZE]).withSegment(Sregs.CS, code).withSegment(Sregs.SS, data)
                .withSegment(Sregs.TR, tr).withTable(Sregs.IDT, IDT, 256 * 16 - 1).withTable(Sregs.GDT, GDT, 0x3f)
                .withU64(Sregs.EFER, 0x500).withU64(Sregs.CR0, 0x80000011L);
    }

    private void putLong(long at, long value) {
        ByteBuffer.wrap(ram).order(ByteOrder.LITTLE_ENDIAN).putLong((int) at, value);
    }

    private long[] frameAt(long at) {
        long[] f = new long[5];
        ByteBuffer b = ByteBuffer.wrap(ram).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 5; i++) {
            f[i] = b.getLong((int) at + 8 * i);
        }
        return f;
    }
}
