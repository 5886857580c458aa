package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Segment;
import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.vmm.vm.EmulationFailure.Breakpoint;
import dev.hyperfresh.vmm.vm.EmulationFailure.Emulated;
import dev.hyperfresh.vmm.vm.EmulationFailure.Outcome;
import dev.hyperfresh.vmm.vm.EmulationFailure.Unemulatable;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/** What hfvisor does with an instruction KVM failed to emulate, against what the CPU does (SDM vol. 2, XGETBV). */
class EmulationFailureTest {
    private static final byte[] XGETBV = {0x0f, 0x01, (byte) 0xd0, (byte) 0x90};
    private static final long XCR0 = 0x2e7L | (1L << 33);
    private static final long OSXSAVE = 1L << 18, RF = 1L << 16, TF = 1L << 8;
    private static final LongSupplier NOT_ASKED = () -> {
        throw new AssertionError("XCR0 read for something that is not XGETBV");
    };

    @Test
    void xgetbvOfXcr0ReturnsItInEdxEaxAndStepsOverTheInstruction() {
        Regs before = Regs.initial().withU64(Regs.RIP, 0xffffffff81000000L).withU64(Regs.RCX, 0)
                .withU64(Regs.RAX, -1).withU64(Regs.RDX, -1).withU64(Regs.RFLAGS, 0x2 | RF);
        Outcome o = EmulationFailure.decide(XGETBV, before, sregs64(0, OSXSAVE), () -> XCR0, false);

        assertThat(((Emulated) o).instruction()).isEqualTo(ExitCounts.Emulated.XGETBV);
        Regs after = ((Emulated) o).regs();
        assertThat(after.u64(Regs.RAX)).as("EAX, upper half cleared").isEqualTo(XCR0 & 0xffffffffL);
        assertThat(after.u64(Regs.RDX)).as("EDX, upper half cleared").isEqualTo(2);
        assertThat(after.rip()).isEqualTo(0xffffffff81000003L);
        assertThat(after.rflags()).as("RF cleared once the instruction completes").isEqualTo(0x2);
    }

    @Test
    void xgetbvOfXinuseAnswersXcr0OnlyWhereTheGuestsCpuidOffersIt() {
        Regs ecx1 = Regs.initial().withU64(Regs.RCX, 1);
        assertThat(EmulationFailure.decide(XGETBV, ecx1, sregs64(0, OSXSAVE), () -> XCR0, true))
                .isInstanceOf(Emulated.class);
        assertThat(EmulationFailure.decide(XGETBV, ecx1, sregs64(0, OSXSAVE), () -> XCR0, false))
                .isInstanceOfSatisfying(Unemulatable.class, u -> assertThat(u.reason()).contains("XCR 0x1", "#GP"));
    }

    @Test
    void xgetbvThatFaultsOnACpuEndsTheVmSayingWhy() {
        Regs ecx2 = Regs.initial().withU64(Regs.RCX, 0xffffffff00000002L);
        assertThat(EmulationFailure.decide(XGETBV, ecx2, sregs64(0, OSXSAVE), () -> XCR0, true))
                .as("only ECX counts").isInstanceOfSatisfying(Unemulatable.class,
                        u -> assertThat(u.reason()).contains("XGETBV (0f 01 d0 90)", "XCR 0x2", "#GP(0)"));
        assertThat(EmulationFailure.decide(XGETBV, Regs.initial(), sregs64(0, 0), () -> XCR0, true))
                .isInstanceOfSatisfying(Unemulatable.class, u -> assertThat(u.reason()).contains("OSXSAVE", "#UD"));
        assertThat(EmulationFailure.decide(XGETBV, Regs.initial().withU64(Regs.RFLAGS, 2 | TF), sregs64(0, OSXSAVE),
                () -> XCR0, true)).isInstanceOf(Unemulatable.class);
    }

    @Test
    void inRealModeIpWrapsAt64KiB() {
        Sregs real = new Sregs(new byte[Sregs.SIZE]).withU64(Sregs.CR4, OSXSAVE)
                .withSegment(Sregs.CS, new Segment(0, 0xffff, 0, 0xb, true, 0, false, true, false, false, false, false));
        Regs at = Regs.initial().withU64(Regs.RIP, 0xfffe);
        assertThat(((Emulated) EmulationFailure.decide(XGETBV, at, real, () -> 1, false)).regs().rip()).isEqualTo(1);
    }

    @Test
    void int3GoesToBreakpointDelivery() {
        assertThat(EmulationFailure.decide(new byte[] {(byte) 0xcc}, Regs.initial(), sregs64(3, 0), NOT_ASKED,
                false)).isInstanceOf(Breakpoint.class);
    }

    @Test
    void anythingElseIsNamedAndRing0IsBlamedOnTheEmulatingKvm() {
        byte[] vex = {(byte) 0xc4, 0x41, 0x7e, 0x6f, 0x00};
        Regs at = Regs.initial().withU64(Regs.RIP, 0x1234);
        assertThat(EmulationFailure.decide(vex, at, sregs64(0, OSXSAVE), NOT_ASKED, true))
                .isInstanceOfSatisfying(Unemulatable.class, u -> assertThat(u.reason()).contains(
                        "a VEX-encoded (AVX) instruction (c4 41 7e 6f 00) at rip 0x1234",
                        "a KVM that runs the guest's ring 0 through that emulator (as a PVM host does)",
                        "must not use it in ring 0"));
        assertThat(EmulationFailure.decide(vex, at, sregs64(3, OSXSAVE), NOT_ASKED, true))
                .isInstanceOfSatisfying(Unemulatable.class,
                        u -> assertThat(u.reason()).doesNotContain("ring 0").contains("emulator lacks it"));
        assertThat(EmulationFailure.decide(new byte[0], at, sregs64(0, 0), NOT_ASKED, true))
                .isInstanceOfSatisfying(Unemulatable.class, u -> assertThat(u.reason()).contains("could not be read"));
    }

    private static Sregs sregs64(int cpl, long cr4) {
        Segment code = new Segment(0, 0xffffffff, cpl == 3 ? 0x33 : 0x08, 0xb, true, cpl, false, true, true, true,
                false, false);
        return new Sregs(new byte[Sregs.SIZE]).withSegment(Sregs.CS, code).withU64(Sregs.EFER, 0x500)
                .withU64(Sregs.CR0, 0x80000011L).withU64(Sregs.CR4, cr4 | 0x20);
    }
}
