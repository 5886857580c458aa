package dev.hyperfresh.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hyperfresh.sys.Sys;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.testkit.TinyGuest;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.Test;

/** The registers KVM stores in kvm_run at each exit (KVM_CAP_SYNC_REGS), and structs set at the next KVM_RUN. */
@RequiresKvm
class SyncRegsTest {
    /** mov al, 0x42 ; out 0x10, al ; jmp $ */
    private static final byte[] OUT_THEN_SPIN = {(byte) 0xb0, 0x42, (byte) 0xe6, 0x10, (byte) 0xeb, (byte) 0xfe};
    private static final int VCPU_EVENTS_FLAGS = 24;
    private static final int VALID_PAYLOAD = 0x10;

    @Test
    void registersOfTheLastExitAreTheOnesKvmAnswers() {
        try (TinyGuest g = runningGuest()) {
            assertThat(g.vcpu.run()).isEqualTo(ExitReason.IO);
            MpState mp = g.vcpu.getMpState();
            Pointer lapic = lapic(g.vcpu);
            Pointer regs = Sys.allocate(Regs.SIZE);
            Pointer sregs = Sys.allocate(Sregs.SIZE);

            assertThat(g.vcpu.copyRegsAtLastExit(mp, lapic, regs, sregs)).isTrue();

            assertThat(new Regs(KvmStruct.read(regs, Regs.SIZE))).isEqualTo(g.vcpu.getRegs());
            assertThat(new Sregs(KvmStruct.read(sregs, Sregs.SIZE))).isEqualTo(g.vcpu.getSregs());
        }
    }

    @Test
    void theyAreRefusedAfterASetOrWhereAnInitMayHaveChangedThem() {
        try (TinyGuest g = runningGuest()) {
            Pointer regs = Sys.allocate(Regs.SIZE);
            Pointer sregs = Sys.allocate(Sregs.SIZE);
            Pointer lapic = lapic(g.vcpu);
            assertThat(g.vcpu.copyRegsAtLastExit(MpState.RUNNABLE, lapic, regs, sregs))
                    .as("before any exit").isFalse();

            g.vcpu.run();
            assertThat(g.vcpu.copyRegsAtLastExit(MpState.INIT_RECEIVED, lapic, regs, sregs))
                    .as("waiting for a SIPI").isFalse();
            lapic.putInt(0xf0, 0xff);   // SVR as an INIT leaves it
            assertThat(g.vcpu.copyRegsAtLastExit(MpState.RUNNABLE, lapic, regs, sregs))
                    .as("APIC disabled").isFalse();

            g.vcpu.setRegs(g.vcpu.getRegs());
            assertThat(g.vcpu.copyRegsAtLastExit(MpState.RUNNABLE, lapic(g.vcpu), regs, sregs))
                    .as("set since the exit").isFalse();
        }
    }

    @Test
    void deferredRegsAndEventsAreReadBackAndRunWith() {
        try (TinyGuest g = runningGuest()) {
            Regs wanted = g.vcpu.getRegs().withU64(Regs.RBX, 0x1234_5678L);
            Pointer in = Sys.allocate(Regs.SIZE);
            wanted.writeTo(in);
            Pointer events = Sys.allocate(VcpuEvents.SIZE);
            g.vcpu.getVcpuEvents(events);

            assertThat(g.vcpu.deferRegs(in)).isTrue();
            assertThat(g.vcpu.deferVcpuEvents(events)).isTrue();
            assertThat(g.vcpu.getRegs()).as("read back before the run").isEqualTo(wanted);

            g.vcpu.completePendingExit();   // KVM_RUN sets them, runs no guest code
            assertThat(g.vcpu.runData().dirtyRegs()).isZero();
            assertThat(g.vcpu.getRegs().u64(Regs.RBX)).as("set by KVM_RUN").isEqualTo(0x1234_5678L);
        }
    }

    @Test
    void anIoctlSetAfterADeferralWins() {
        try (TinyGuest g = runningGuest()) {
            Regs deferred = g.vcpu.getRegs().withU64(Regs.RBX, 1);
            Pointer in = Sys.allocate(Regs.SIZE);
            deferred.writeTo(in);
            assertThat(g.vcpu.deferRegs(in)).isTrue();

            g.vcpu.setRegs(deferred.withU64(Regs.RBX, 2));
            g.vcpu.completePendingExit();

            assertThat(g.vcpu.getRegs().u64(Regs.RBX)).isEqualTo(2);
        }
    }

    @Test
    void onlyWhatAnyVmTakesIsDeferred() {
        try (TinyGuest g = runningGuest()) {
            Pointer events = Sys.allocate(VcpuEvents.SIZE);
            g.vcpu.getVcpuEvents(events);
            events.putInt(VCPU_EVENTS_FLAGS, events.getInt(VCPU_EVENTS_FLAGS) | VALID_PAYLOAD);

            assertThat(g.vcpu.deferVcpuEvents(events)).isFalse();
            assertThat(g.vcpu.runData().dirtyRegs()).isZero();
        }
    }

    @Test
    void nothingIsDeferredToAVcpuWhoseMpStateIsUnknown() {
        try (TinyGuest g = new TinyGuest(OUT_THEN_SPIN, true)) {
            assumeTrue(g.kvm.has(Cap.SYNC_REGS));
            Pointer in = Sys.allocate(Regs.SIZE);
            g.vcpu.getRegs(in);

            assertThat(g.vcpu.deferRegs(in)).isFalse();
        }
    }

    /** A guest whose vCPU is runnable with its APIC enabled, as a running guest's is. */
    private static TinyGuest runningGuest() {
        TinyGuest g = new TinyGuest(OUT_THEN_SPIN, true);
        assumeTrue(g.kvm.has(Cap.SYNC_REGS), "KVM_CAP_SYNC_REGS");
        g.vcpu.setMpState(MpState.RUNNABLE);
        g.vcpu.setLapic(g.vcpu.getLapic().withSoftwareEnabled());
        return g;
    }

    private static Pointer lapic(Vcpu vcpu) {
        Pointer p = Sys.allocate(Lapic.SIZE);
        vcpu.getLapic(p);
        return p;
    }
}
