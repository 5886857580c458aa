package dev.hyperfresh.kvm.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.kvm.ExitReason;
import dev.hyperfresh.kvm.Msrs;
import dev.hyperfresh.kvm.Vcpu;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.testkit.TinyGuest;
import org.junit.jupiter.api.Test;

@RequiresKvm
class StateRoundTripTest {
    /**
     * mov eax, 0x1234 ; mov ebx, 0x5678 ; out 0x10, al ; out 0x11, al ; hlt : leaves distinctive registers behind
     * and exits twice (with an in-kernel LAPIC, HLT never comes back to userspace).
     */
    private static final byte[] CODE = {0x66, (byte) 0xb8, 0x34, 0x12, 0, 0, 0x66, (byte) 0xbb, 0x78, 0x56, 0, 0,
        (byte) 0xe6, 0x10, (byte) 0xe6, 0x11, (byte) 0xf4};

    @Test
    void everyVcpuPieceRoundTripsThroughGetSetGet() {
        try (TinyGuest g = new TinyGuest(CODE, true)) {
            assertThat(g.vcpu.run()).isEqualTo(ExitReason.IO);
            Vcpu v = g.vcpu;
            var regs = v.getRegs();
            v.setRegs(regs);
            assertThat(v.getRegs()).isEqualTo(regs);
            var sregs = v.getSregs();
            v.setSregs(sregs);
            assertThat(v.getSregs()).isEqualTo(sregs);
            var fpu = v.getFpu();
            v.setFpu(fpu);
            assertThat(v.getFpu()).isEqualTo(fpu);
            var xsave = v.getXsave();
            v.setXsave(xsave);
            assertThat(v.getXsave()).isEqualTo(xsave);
            var xcrs = v.getXcrs();
            v.setXcrs(xcrs);
            assertThat(v.getXcrs()).isEqualTo(xcrs);
            var lapic = v.getLapic();
            v.setLapic(lapic);
            assertThat(v.getLapic()).isEqualTo(lapic);
            var events = v.getVcpuEvents();
            v.setVcpuEvents(events);
            assertThat(v.getVcpuEvents()).isEqualTo(events);
            var mp = v.getMpState();
            v.setMpState(mp);
            assertThat(v.getMpState()).isEqualTo(mp);
            var debug = v.getDebugRegs();
            v.setDebugRegs(debug);
            assertThat(v.getDebugRegs()).isEqualTo(debug);
            assertThat(v.getTscKhz()).isPositive();

            int[] indices = SaveableMsrs.of(g.kvm, v);
            assertThat(indices).contains(SaveableMsrs.IA32_TSC);
            Msrs msrs = v.getMsrs(indices);
            v.setMsrs(msrs);
            assertThat(withoutTsc(v.getMsrs(indices))).isEqualTo(withoutTsc(msrs));
            assertThat(v.getMsrs(indices).value(SaveableMsrs.IA32_TSC))
                    .as("the TSC keeps counting").isGreaterThanOrEqualTo(msrs.value(SaveableMsrs.IA32_TSC));
        }
    }

    @Test
    void cpuidRoundTripsBeforeTheFirstRun() {
        // Linux before 6.6 compares a SET_CPUID2 after KVM_RUN against entries without their runtime bits, so a
        // handover sets CPUID on a fresh vCPU only, as here.
        try (TinyGuest g = new TinyGuest(CODE, true)) {
            var cpuid = g.vcpu.getCpuid();
            g.vcpu.setCpuid(cpuid);
            assertThat(g.vcpu.getCpuid()).isEqualTo(cpuid);
        }
    }

    @Test
    void vmLevelStateRoundTrips() {
        try (TinyGuest g = new TinyGuest(CODE, true)) {
            VmSnapshot before = VmSnapshot.save(g.vm);
            before.restoreInto(g.vm);
            VmSnapshot after = VmSnapshot.save(g.vm);
            assertThat(after.pit().withoutLoadTimes()).isEqualTo(before.pit().withoutLoadTimes());
            assertThat(after.picMaster()).isEqualTo(before.picMaster());
            assertThat(after.picSlave()).isEqualTo(before.picSlave());
            assertThat(after.ioapic()).isEqualTo(before.ioapic());
            assertThat(after.clock().clock()).as("guest time never goes back")
                    .isGreaterThanOrEqualTo(before.clock().clock());
        }
    }

    @Test
    void aSnapshotRestoredIntoASecondVmRunsOnFromTheSameInstruction() {
        try (TinyGuest source = new TinyGuest(CODE, true); TinyGuest target = new TinyGuest(new byte[0], true)) {
            assertThat(source.vcpu.run()).isEqualTo(ExitReason.IO);
            source.vcpu.completePendingExit();
            int[] msrs = SaveableMsrs.of(source.kvm, source.vcpu);
            VcpuSnapshot saved = VcpuSnapshot.save(source.vcpu, msrs);
            VmSnapshot vmSaved = VmSnapshot.save(source.vm);
            target.mapping.pointer().put(0, readAll(source), 0, (int) TinyGuest.RAM_BYTES);

            saved.restoreInto(target.vcpu);
            vmSaved.restoreInto(target.vm);
            VcpuSnapshot restored = VcpuSnapshot.save(target.vcpu, msrs);
            assertThat(restored.regs()).isEqualTo(saved.regs());
            assertThat(restored.sregs()).isEqualTo(saved.sregs());
            assertThat(restored.xsave()).isEqualTo(saved.xsave());
            assertThat(restored.lapic()).isEqualTo(saved.lapic());
            assertThat(restored.events()).isEqualTo(saved.events());
            assertThat(withoutTsc(restored.msrs())).isEqualTo(withoutTsc(saved.msrs()));

            assertThat(target.vcpu.run()).as("continues after the OUT").isEqualTo(ExitReason.IO);
            assertThat(target.vcpu.runData().ioPort()).as("the next OUT, not a replay").isEqualTo(0x11);
            assertThat(target.vcpu.getRegs().u64(dev.hyperfresh.kvm.Regs.RBX)).isEqualTo(0x5678);
        }
    }

    private static byte[] readAll(TinyGuest g) {
        byte[] b = new byte[(int) TinyGuest.RAM_BYTES];
        g.mapping.pointer().get(0, b, 0, b.length);
        return b;
    }

    private static Msrs withoutTsc(Msrs m) {
        return SaveableMsrs.withoutTimeVarying(m);
    }
}
