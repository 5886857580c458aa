package dev.hyperfresh.kvm.snapshot;

import dev.hyperfresh.kvm.Cpuid;
import dev.hyperfresh.kvm.DebugRegs;
import dev.hyperfresh.kvm.Lapic;
import dev.hyperfresh.kvm.MpState;
import dev.hyperfresh.kvm.Msrs;
import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.kvm.Vcpu;
import dev.hyperfresh.kvm.VcpuEvents;
import dev.hyperfresh.kvm.Xcrs;
import dev.hyperfresh.kvm.Xsave;

/**
 * Everything KVM holds for one paused vCPU, saved and restored in the orders documented in
 * docs/STATE-ORDER.md (after Firecracker and Cloud Hypervisor).
 */
public record VcpuSnapshot(int id, MpState mpState, Regs regs, Sregs sregs, Xsave xsave, Xcrs xcrs,
                           DebugRegs debugRegs, Lapic lapic, int tscKhz, Cpuid cpuid, Msrs msrs,
                           VcpuEvents events) {
    /** Bump when a field is added, removed or changes meaning; readers refuse versions they do not know. */
    public static final int FORMAT_VERSION = 1;

    /**
     * Saves a paused vCPU. MP_STATE goes first because reading it makes KVM move pending APIC events into the
     * saved state; VCPU_EVENTS goes last so it reflects everything before it.
     */
    public static VcpuSnapshot save(Vcpu vcpu, int[] msrIndices) {
        MpState mp = vcpu.getMpState();
        Regs regs = vcpu.getRegs();
        Sregs sregs = vcpu.getSregs();
        Xsave xsave = vcpu.getXsave();
        Xcrs xcrs = vcpu.getXcrs();
        DebugRegs debug = vcpu.getDebugRegs();
        Lapic lapic = vcpu.getLapic();
        int tscKhz = vcpu.getTscKhz();
        Cpuid cpuid = vcpu.givenCpuid() != null ? vcpu.givenCpuid() : vcpu.getCpuid();
        Msrs msrs = vcpu.getMsrs(msrIndices);
        VcpuEvents events = vcpu.getVcpuEvents();
        return new VcpuSnapshot(vcpu.id(), mp, regs, sregs, xsave, xcrs, debug, lapic, tscKhz, cpuid, msrs, events);
    }

    /**
     * Restores into a fresh (or the same) vCPU: CPUID before anything that depends on it, SREGS before LAPIC (APIC
     * base), REGS before VCPU_EVENTS (setting REGS clears pending exceptions), TSC_DEADLINE after TSC.
     */
    public void restoreInto(Vcpu vcpu) {
        if (vcpu.id() != id) {
            throw new IllegalArgumentException("snapshot of vcpu " + id + " cannot restore into vcpu " + vcpu.id());
        }
        restoreCpuid(vcpu);
        vcpu.setMpState(mpState);
        vcpu.setRegs(regs);
        vcpu.setSregs(sregs);
        vcpu.setXsave(xsave);
        vcpu.setXcrs(xcrs);
        vcpu.setDebugRegs(debugRegs);
        vcpu.setLapic(lapic);
        setMsrs(vcpu, msrs.indices(), msrs.values());
        vcpu.setVcpuEvents(events);
        noteClockPause(vcpu, msrs.indices(), msrs.values());
    }

    /**
     * The same vCPU with its TSC moved on by {@code cycles}: restored after a pause of that length, the guest's
     * TSC then reads as if it had kept running with the host's instead of hiding the pause.
     */
    public VcpuSnapshot withTscAdvancedBy(long cycles) {
        if (!msrs.contains(SaveableMsrs.IA32_TSC)) {
            return this;
        }
        Msrs advanced = msrs.with(SaveableMsrs.IA32_TSC, msrs.value(SaveableMsrs.IA32_TSC) + cycles);
        return new VcpuSnapshot(id, mpState, regs, sregs, xsave, xcrs, debugRegs, lapic, tscKhz, cpuid, advanced,
                events);
    }

    /** Skipped when the vCPU already has this CPUID: KVM_SET_CPUID2 costs more than the rest of a restore. */
    private void restoreCpuid(Vcpu vcpu) {
        if (cpuid.equals(vcpu.givenCpuid())) {
            return;
        }
        if (!vcpu.hasRun()) {
            vcpu.setCpuid(cpuid);
        } else {
            throw new IllegalStateException("vcpu " + id + " has already run with another CPUID; KVM cannot change it");
        }
    }

    /**
     * Writes saved MSRs in one KVM_SET_MSRS, which KVM applies in order, so IA32_TSC_DEADLINE (saved last,
     * {@link SaveableMsrs}) follows the TSC it is relative to. A zero deadline is left out: the guest would read it as
     * "timer disarmed forever".
     */
    public static void setMsrs(Vcpu vcpu, int[] indices, long[] values) {
        int last = indices.length - 1;
        boolean zeroDeadline = last >= 0 && indices[last] == SaveableMsrs.IA32_TSC_DEADLINE && values[last] == 0;
        vcpu.writeMsrs(indices, values, 0, zeroDeadline ? last : indices.length);
    }

    /** KVM_KVMCLOCK_CTRL where the restored MSRs enable kvmclock; KVM would refuse it otherwise. */
    public static void noteClockPause(Vcpu vcpu, int[] indices, long[] values) {
        if (SaveableMsrs.kvmclockEnabled(indices, values)) {
            vcpu.kvmclockCtrl();
        }
    }
}
