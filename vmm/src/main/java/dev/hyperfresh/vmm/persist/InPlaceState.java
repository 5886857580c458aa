package dev.hyperfresh.vmm.persist;

import dev.hyperfresh.kvm.ClockData;
import dev.hyperfresh.kvm.DebugRegs;
import dev.hyperfresh.kvm.IrqChip;
import dev.hyperfresh.kvm.Lapic;
import dev.hyperfresh.kvm.MpState;
import dev.hyperfresh.kvm.PitState;
import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.kvm.Vcpu;
import dev.hyperfresh.kvm.VcpuEvents;
import dev.hyperfresh.kvm.Vm;
import dev.hyperfresh.kvm.Xcrs;
import dev.hyperfresh.kvm.snapshot.SaveableMsrs;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jnr.ffi.Pointer;

/**
 * A VM's saved state written and read where it lies (the handover ledger's mapping), in {@link StateCodec}'s
 * format: the save's ioctls write each kernel struct straight into its blob and the restore's ioctls read it from
 * there, so nothing is copied into objects and back inside the cutover's blackout. The bytes are the ones
 * {@code StateCodec.encode} makes of the same state, and a state restored here is the one {@code decode} then
 * {@code VcpuSnapshot.restoreInto} would restore (InPlaceStateOnKvmTest); the orders are docs/STATE-ORDER.md's.
 */
public final class InPlaceState {
    private static final int MSR_CAPACITY = 512;

    private InPlaceState() {
    }

    /** A paused VM to save: its KVM objects, and what KVM does not hold (its name, its devices' bytes). */
    public record Source(String vmName, Vm vm, List<Vcpu> vcpus, CpuidSections cpuid, int[] msrIndices,
                         Map<String, byte[]> devices) implements EncodableState {
        @Override
        public int encodeInto(ByteBuffer region, Written done) {
            return save(this, region, done);
        }
    }

    /**
     * Saves into {@code region} from its position (which is left where it was); returns the bytes written.
     * {@code done} hears the end of each vCPU section as it is written ({@link EarlyRestore}).
     *
     * @throws java.nio.BufferOverflowException if the state does not fit
     */
    public static int save(Source source, ByteBuffer region, EncodableState.Written done) {
        StateOutput out = StateOutput.into(region);
        Pointer memory = out.memory();
        StateCodec.writeHeader(out, source.vmName());
        int body = out.beginSection(StateCodec.VM);
        out.u16(VmSnapshot.FORMAT_VERSION);
        int pit = out.blobSpace(PitState.SIZE);
        int clock = out.blobSpace(ClockData.SIZE);
        int picMaster = out.blobSpace(IrqChip.SIZE);
        int picSlave = out.blobSpace(IrqChip.SIZE);
        int ioapic = out.blobSpace(IrqChip.SIZE);
        out.endSection(body);
        long[] msrValues = new long[source.msrIndices().length];
        List<Vcpu> vcpus = source.vcpus();
        for (int i = 0; i < vcpus.size(); i++) {   // a plain loop: this runs inside the blackout
            Vcpu vcpu = vcpus.get(i);
            body = out.beginSection(StateCodec.VCPU);
            saveVcpu(vcpu, source.cpuid().of(i, vcpu), source.msrIndices(), msrValues, out, memory);
            out.endSection(body);
            done.upTo(out.size());
        }
        // the VM-wide state after the vCPUs, as VmSnapshot.save follows VcpuSnapshot.save
        Vm vm = source.vm();
        vm.getPit2(memory.slice(pit));
        vm.getClock(memory.slice(clock));
        vm.getIrqchip(IrqChip.PIC_MASTER, memory.slice(picMaster));
        vm.getIrqchip(IrqChip.PIC_SLAVE, memory.slice(picSlave));
        vm.getIrqchip(IrqChip.IOAPIC, memory.slice(ioapic));
        StateCodec.writeDevicesAndEnd(out, source.devices());
        return out.size();
    }

    /**
     * VcpuSnapshot.save's order but for REGS and SREGS (read last, below), each struct where VcpuSnapshotCodec puts
     * it.
     */
    private static void saveVcpu(Vcpu vcpu, byte[] cpuid, int[] msrIndices, long[] msrValues, StateOutput out,
                                 Pointer memory) {
        MpState mpState = vcpu.getMpState();
        VcpuSnapshotCodec.writeHead(out, vcpu.id(), mpState);
        Pointer regs = memory.slice(out.blobSpace(Regs.SIZE));
        Pointer sregs = memory.slice(out.blobSpace(Sregs.SIZE));
        vcpu.getXsave(memory.slice(out.blobSpace(vcpu.xsaveSize())));
        vcpu.getXcrs(memory.slice(out.blobSpace(Xcrs.SIZE)));
        vcpu.getDebugRegs(memory.slice(out.blobSpace(DebugRegs.SIZE)));
        Pointer lapic = memory.slice(out.blobSpace(Lapic.SIZE));
        vcpu.getLapic(lapic);
        // after MP_STATE and LAPIC, which say whether the registers of the vCPU's last exit still hold
        if (!vcpu.copyRegsAtLastExit(mpState, lapic, regs, sregs)) {
            vcpu.getRegs(regs);
            vcpu.getSregs(sregs);
        }
        out.u32(vcpu.getTscKhz());
        if (cpuid != null) {
            out.bytes(cpuid);
        } else {
            VcpuSnapshotCodec.writeCpuid(out, vcpu.getCpuid().entries());
        }
        vcpu.readMsrs(msrIndices, msrValues);
        VcpuSnapshotCodec.writeMsrs(out, msrIndices, msrValues);
        vcpu.getVcpuEvents(memory.slice(out.blobSpace(VcpuEvents.SIZE)));
    }

    /**
     * Restores the state at {@code region}'s position into {@code vm} and its vCPUs, every vCPU's TSC and the
     * kvmclock moved on by {@code advanceNanos}; returns the devices' bytes (by name, in restore order) for the
     * caller to restore. The first {@code early.restored()} vCPUs were restored from these very bytes while they were
     * being written; the CRC checked here covers them too. A state this cannot restore in place (another CPUID or XSAVE size than the vCPU has)
     * throws {@link NotInPlace} before any ioctl, and the caller decodes it instead.
     */
    public static Map<String, byte[]> restore(ByteBuffer region, Vm vm, List<Vcpu> vcpus, CpuidSections cpuid,
                                              long advanceNanos, EarlyRestore early) {
        StateInput in = new StateInput(region);
        Pointer memory = in.memory();
        StateCodec.checkHeader(in);
        List<StateCodec.Section> sections = StateCodec.sections(in);
        StateInput vmBody = null;
        StateInput[] vcpuBodies = new StateInput[vcpus.size()];
        int vcpuCount = 0;
        Map<String, byte[]> devices = new LinkedHashMap<>();
        for (int s = 0; s < sections.size(); s++) {
            StateCodec.Section section = sections.get(s);
            if (section.tag() == StateCodec.VM) {
                vmBody = section.body();
            } else if (section.tag() == StateCodec.VCPU) {
                if (vcpuCount == vcpuBodies.length) {
                    throw new StateFormatException("saved state has more vCPUs than the VM's " + vcpus.size());
                }
                vcpuBodies[vcpuCount++] = section.body();
            } else if (section.tag() == StateCodec.DEVICE) {
                StateCodec.readDevice(section.body(), devices);
            }
        }
        if (vmBody == null || vcpuCount != vcpus.size()) {
            throw new StateFormatException("saved state has " + vcpuCount + " vCPUs" + (vmBody == null
                    ? " and no VM-wide state" : "") + " for a VM of " + vcpus.size());
        }
        int first = early.restored();   // checked by the CRC above, restored while the rest was being written
        VcpuPlan[] plans = new VcpuPlan[vcpuCount];
        for (int i = first; i < vcpuCount; i++) {   // everything checked before the first ioctl
            plans[i] = VcpuPlan.read(vcpuBodies[i], vcpus.get(i), cpuid.of(i, vcpus.get(i)));
        }
        for (int i = first; i < vcpuCount; i++) {
            plans[i].restore(vcpus.get(i), memory, advanceNanos);
        }
        restoreVm(vmBody, vm, memory, advanceNanos);
        return devices;
    }

    /** VmSnapshot.restoreInto's order; the clock is copied to move it on, the rest set from where it lies. */
    private static void restoreVm(StateInput in, Vm vm, Pointer memory, long advanceNanos) {
        int version = in.u16("VM-wide state format version");
        if (version != VmSnapshot.FORMAT_VERSION) {
            throw new StateFormatException("VM-wide state format " + version + " is not one this reader knows");
        }
        int pit = in.struct("PIT state", PitState.SIZE);
        ClockData clock = new ClockData(KernelStructs.exact(in, "clock data", ClockData.SIZE));
        int picMaster = in.struct("PIC master", IrqChip.SIZE);
        int picSlave = in.struct("PIC slave", IrqChip.SIZE);
        int ioapic = in.struct("IOAPIC", IrqChip.SIZE);
        in.expectEnd("VM-wide state");
        vm.setPit2(memory.slice(pit));
        vm.setClock(clock.withU64(0, clock.clock() + advanceNanos));
        vm.setIrqchip(memory.slice(picMaster));
        vm.setIrqchip(memory.slice(picSlave));
        vm.setIrqchip(memory.slice(ioapic));
    }

    /**
     * Restores a VM's vCPUs from its state while the old instance is still writing the rest (its later vCPUs, the
     * VM-wide state, the devices): the cutover's two processes then save and restore at once instead of one after
     * the other. Harmless before the claim, as every restore is: nothing runs the VM until the whole state has been
     * offered and checked ({@link #restore}). Any failure here only means the whole restore happens there instead.
     */
    public static final class EarlyRestore {
        private final List<Vcpu> vcpus;
        private final CpuidSections cpuid;
        private int next = -1;
        private int restored;
        private boolean failed;

        public EarlyRestore(List<Vcpu> vcpus, CpuidSections cpuid) {
            this.vcpus = vcpus;
            this.cpuid = cpuid;
        }

        /** Nothing restored early (a state written all at once). */
        public static EarlyRestore none() {
            return new EarlyRestore(List.of(), null);
        }

        /**
         * Restores every vCPU whose section lies within {@code region}'s first {@code written} bytes and was not
         * restored yet, its TSC moved on by {@code advanceNanos}. {@code written} must be a value {@link
         * EncodableState.Written} was told.
         */
        public void advance(ByteBuffer region, int written, long advanceNanos) {
            if (failed || restored == vcpus.size()) {
                return;
            }
            try {
                StateInput in = new StateInput(region.slice(0, written));
                Pointer memory = in.memory();
                if (next < 0) {
                    StateCodec.checkHeader(in);
                    next = in.position();
                }
                in.reset(next);
                while (restored < vcpus.size() && in.remaining() > 0) {
                    int tag = in.u32("section tag");
                    StateInput body = in.slice(in.u32("section length") & 0xffffffffL, "section");
                    if (tag == StateCodec.VCPU) {
                        Vcpu vcpu = vcpus.get(restored);
                        VcpuPlan.read(body, vcpu, cpuid.of(restored, vcpu)).restore(vcpu, memory, advanceNanos);
                        restored++;
                    }
                    next = in.position();
                }
            } catch (RuntimeException e) {
                failed = true;
            }
        }

        /** How many vCPUs, from the first, are restored; 0 after a failure (restore them all again). */
        public int restored() {
            return failed ? 0 : restored;
        }
    }

    /** Thrown before anything is restored when a state must be decoded to be restored (its CPUID differs). */
    public static final class NotInPlace extends RuntimeException {
        NotInPlace(String why) {
            super(why, null, false, false);
        }
    }

    /** Where one vCPU's structs lie, read and checked before any of them is restored. */
    private record VcpuPlan(int mpState, int regs, int sregs, int xsave, int xcrs, int debugRegs, int lapic,
                            int tscKhz, int[] msrIndices, long[] msrValues, int events) {
        static VcpuPlan read(StateInput in, Vcpu vcpu, byte[] cpuid) {
            int id = VcpuSnapshotCodec.readVersionAndId(in);
            if (id != vcpu.id()) {
                throw new StateFormatException("saved vCPU " + id + " in the place of vCPU " + vcpu.id());
            }
            int mp = VcpuSnapshotCodec.mpState(in.u32("mp_state")).value();
            int regs = in.struct("regs", Regs.SIZE);
            int sregs = in.struct("sregs", Sregs.SIZE);
            int xsave = xsave(in, vcpu);
            int xcrs = in.struct("xcrs", Xcrs.SIZE);
            int debug = in.struct("debugregs", DebugRegs.SIZE);
            int lapic = in.struct("lapic", Lapic.SIZE);
            int tscKhz = in.u32("tsc_khz");
            // KVM takes another CPUID only before a vCPU's first run: that restore is VcpuSnapshot.restoreInto's
            if (!VcpuSnapshotCodec.sameCpuid(in, cpuid)) {
                throw new NotInPlace("vCPU " + vcpu.id() + " was saved with another CPUID than it has");
            }
            VcpuSnapshotCodec.MsrEntries msrs = VcpuSnapshotCodec.msrEntries(in);
            if (msrs.indices().length > MSR_CAPACITY) {
                throw new StateFormatException(msrs.indices().length + " MSRs; at most " + MSR_CAPACITY + " are saved");
            }
            int events = in.struct("vcpu_events", VcpuEvents.SIZE);
            in.expectEnd("vCPU " + id + "'s state");
            return new VcpuPlan(mp, regs, sregs, xsave, xcrs, debug, lapic, tscKhz, msrs.indices(), msrs.values(),
                    events);
        }

        /** An XSAVE area of another size than this vCPU's is decoded instead: KVM reads exactly its own size. */
        private static int xsave(StateInput in, Vcpu vcpu) {
            int at = in.position();
            int length = in.u32("xsave length");
            if (length != vcpu.xsaveSize()) {
                throw new NotInPlace("vCPU " + vcpu.id() + "'s XSAVE area is " + Integer.toUnsignedString(length)
                        + " bytes, this vCPU's " + vcpu.xsaveSize());
            }
            in.reset(at);
            return in.struct("xsave", length);
        }

        /** VcpuSnapshot.restoreInto's order. */
        void restore(Vcpu vcpu, Pointer memory, long advanceNanos) {
            vcpu.setMpState(MpState.of(mpState));
            // REGS and VCPU_EVENTS are set by the vCPU's next KVM_RUN where KVM can (REGS, then VCPU_EVENTS: the
            // order below), an ioctl fewer each; a VM that stays paused reads them back from there too
            if (!vcpu.deferRegs(memory.slice(regs))) {
                vcpu.setRegs(memory.slice(regs));
            }
            vcpu.setSregs(memory.slice(sregs));
            vcpu.setXsave(memory.slice(xsave));
            vcpu.setXcrs(memory.slice(xcrs));
            vcpu.setDebugRegs(memory.slice(debugRegs));
            vcpu.setLapic(memory.slice(lapic));
            long cycles = advanceNanos * tscKhz / 1_000_000;
            for (int i = 0; i < msrIndices.length; i++) {
                if (msrIndices[i] == SaveableMsrs.IA32_TSC) {
                    msrValues[i] += cycles;
                }
            }
            VcpuSnapshot.setMsrs(vcpu, msrIndices, msrValues);
            if (!vcpu.deferVcpuEvents(memory.slice(events))) {
                vcpu.setVcpuEvents(memory.slice(events));
            }
            VcpuSnapshot.noteClockPause(vcpu, msrIndices, msrValues);
        }
    }
}
