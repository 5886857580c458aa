package dev.hyperfresh.kvm;

import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Mapping;
import dev.hyperfresh.sys.Sys;
import dev.hyperfresh.sys.ThreadSignals;
import jnr.ffi.Pointer;

/**
 * One virtual CPU: running it, and getting/setting each piece of its state. State calls use one reusable native
 * buffer, so they are for one thread at a time (normally the thread that paused the vCPU). {@link #kick()} may be
 * called from any thread.
 */
public final class Vcpu implements AutoCloseable {
    private static final int SCRATCH_BYTES = 16 * 1024;
    private static final int SIGSET_KERNEL_BYTES = 8;

    private final Vm vm;
    private final int id;
    private final Fd fd;
    private final Mapping runMapping;
    private final KvmRun run;
    private final Pointer scratch = Sys.allocate(SCRATCH_BYTES);
    private final int xsaveSize;
    private final boolean xsave2;
    private volatile int threadId = -1;
    private volatile boolean hasRun;
    private volatile Cpuid given;
    private volatile int tscKhz;
    /** KVM stores REGS and SREGS in kvm_run's sync area at every exit (KVM_CAP_SYNC_REGS). */
    private final boolean syncRegs;
    private final boolean syncEvents;
    /** The sync area holds the registers of the last exit and no set ioctl has changed the vCPU since. */
    private volatile boolean exitRegsCurrent;
    /** KvmRun.SYNC_* bits of the structs deferred to the next KVM_RUN: kvm_dirty_regs, kept here to be read after close. */
    private volatile long deferred;
    /** The mp_state last set or read, or -1: KVM applies a deferred struct only to an initialized vCPU. */
    private volatile int knownMpState = -1;

    Vcpu(Vm vm, int id, Fd fd) {
        this.vm = vm;
        this.id = id;
        this.fd = fd;
        try {
            this.runMapping = Mapping.sharedDevice(fd, vm.kvm().vcpuMmapSize());
            this.xsave2 = vm.kvm().has(Cap.XSAVE2);
            this.xsaveSize = vm.kvm().xsaveSize();
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
        this.run = new KvmRun(runMapping.pointer());
        int sync = vm.kvm().checkExtension(Cap.SYNC_REGS);
        this.syncRegs = (sync & (KvmRun.SYNC_REGS | KvmRun.SYNC_SREGS)) == (KvmRun.SYNC_REGS | KvmRun.SYNC_SREGS);
        this.syncEvents = (sync & KvmRun.SYNC_EVENTS) != 0;
        if (syncRegs) {
            // ~0.2 µs more per exit to userspace here, against two ioctls (~10 µs each on a PVM host) per save
            run.setValidRegs(KvmRun.SYNC_REGS | KvmRun.SYNC_SREGS);
        }
    }

    public int id() {
        return id;
    }

    public KvmRun runData() {
        return run;
    }

    /**
     * KVM_RUN until the next exit. A kick (or any signal let through by the signal mask) returns {@link
     * ExitReason#INTR}; other failures throw.
     */
    public ExitReason run() {
        hasRun = true;
        int r;
        int errno = 0;
        // an AP waiting for SIPI returns EAGAIN when it wakes without a signal: simply enter again
        exitRegsCurrent = false;
        do {
            r = Sys.C.ioctl(fd.get(), Ioctls.RUN, 0);
        } while (r < 0 && (errno = Sys.errno()) == Sys.EAGAIN);
        // every way out of KVM_RUN stores the sync area, a refused entry included; counted on for a return or a kick
        exitRegsCurrent = syncRegs && (r >= 0 || errno == Sys.EINTR);
        if (deferred != 0) {
            deferred = run.dirtyRegs();   // KVM clears each bit as it sets the struct
        }
        if (r < 0) {
            if (errno == Sys.EINTR) {
                return ExitReason.INTR;
            }
            throw new KvmException("KVM_RUN(vcpu " + id + ")", errno);
        }
        return ExitReason.of(run.exitReason());
    }

    /** Whether KVM_RUN was ever called: KVM then refuses some changes, e.g. a different CPUID before Linux 6.6. */
    public boolean hasRun() {
        return hasRun;
    }

    /**
     * Lets KVM finish an exit userspace has just handled (an I/O exit's instruction is only retired on the next
     * KVM_RUN) without running guest code: KVM_RUN with immediate_exit set. Call before saving a vCPU that stopped
     * on an exit rather than on a kick, or its state would replay the I/O.
     */
    public void completePendingExit() {
        run.setImmediateExit(true);
        try {
            ExitReason r = run();
            if (r != ExitReason.INTR) {
                throw new IllegalStateException("vcpu " + id + " ran to " + r + " despite immediate_exit");
            }
        } finally {
            run.setImmediateExit(false);
        }
    }

    /**
     * Makes the calling thread kickable: blocks the kick signal in it and lets KVM_RUN alone receive it
     * (KVM_SET_SIGNAL_MASK). Call once from the thread that will call {@link #run()}.
     */
    public void bindToCurrentThread() {
        Pointer mask = ThreadSignals.blockKickInCurrentThread();
        int bit = ThreadSignals.kickSignal() - 1;
        long kernelMask = mask.getLong(0) & ~(1L << bit);
        Pointer p = Sys.allocate(4 + SIGSET_KERNEL_BYTES);
        p.putInt(0, SIGSET_KERNEL_BYTES);
        p.putLong(4, kernelMask);
        set("KVM_SET_SIGNAL_MASK", Ioctls.SET_SIGNAL_MASK, p);
        threadId = ThreadSignals.currentTid();
    }

    /** The thread id of the thread bound by {@link #bindToCurrentThread()}, or -1 when none is. */
    public int boundThreadId() {
        return threadId;
    }

    /** Called by the bound thread as it ends, so later kicks do not go to a thread id that may be reused. */
    public void unbindFromCurrentThread() {
        threadId = -1;
    }

    /**
     * Forces the bound thread out of KVM_RUN promptly: sets immediate_exit (so a thread about to enter returns at
     * once) and sends the kick signal (so a thread inside returns EINTR). The running thread clears both with
     * {@link #acknowledgeKick()}.
     */
    public void kick() {
        int tid = threadId;
        if (tid < 0) {
            throw new IllegalStateException("vcpu " + id + " is not bound to a thread; call bindToCurrentThread");
        }
        run.setImmediateExit(true);
        ThreadSignals.kick(tid);
    }

    /**
     * In the vCPU thread after a kick: clears immediate_exit, then consumes every pending kick signal. Every one: the
     * signal is real-time, so kicks sent faster than the thread returns (pauses and resumes back to back, each
     * resume's priority bound) queue up, and a full queue (RLIMIT_SIGPENDING) would refuse the next kick. A kick
     * that lands after the clear keeps its immediate_exit, so draining its signal too loses nothing.
     */
    public void acknowledgeKick() {
        run.setImmediateExit(false);
        while (ThreadSignals.drain()) {
            // one queued signal per kick not yet consumed
        }
    }

    public Regs getRegs() {
        getRegs(scratch);
        return new Regs(KvmStruct.read(scratch, Regs.SIZE));
    }

    /**
     * KVM_GET_REGS into {@code out} ({@value Regs#SIZE} bytes), e.g. straight into a saved state's bytes; the
     * deferred struct where one is ({@link #deferRegs}).
     */
    public void getRegs(Pointer out) {
        if (readDeferred(KvmRun.SYNC_REGS, run.syncRegs(), out, Regs.SIZE)) {
            return;
        }
        Ioctl.call(fd, "KVM_GET_REGS", Ioctls.GET_REGS, out);
    }

    public void setRegs(Regs regs) {
        regs.writeTo(scratch);
        setRegs(scratch);
    }

    /** KVM_SET_REGS from the kernel struct at {@code in}, e.g. a saved state's bytes where they lie. */
    public void setRegs(Pointer in) {
        set("KVM_SET_REGS", Ioctls.SET_REGS, in);
        undefer(KvmRun.SYNC_REGS);
    }

    /**
     * Sets REGS at the next KVM_RUN (from kvm_run's sync area) instead of by KVM_SET_REGS now: an ioctl fewer on a
     * restore's path, as KVM_SET_REGS cannot fail. Applied after every struct set before it by ioctl, so call it
     * where REGS may come last. False, and nothing done, without KVM_CAP_SYNC_REGS or before the vCPU's mp_state
     * is set (KVM applies the area only to an initialized vCPU): then call {@link #setRegs(Pointer)}.
     */
    public boolean deferRegs(Pointer in) {
        return defer(syncRegs, in, run.syncRegs(), Regs.SIZE, KvmRun.SYNC_REGS);
    }

    /**
     * Copies REGS and SREGS as KVM stored them in kvm_run at the last exit from KVM_RUN, instead of KVM_GET_REGS
     * and KVM_GET_SREGS: two ioctls fewer on a save's path (~10 µs each on a PVM host). Call it on a paused vCPU
     * after KVM_GET_MP_STATE and KVM_GET_LAPIC, with what they returned: KVM_GET_MP_STATE delivers an INIT or a
     * SIPI another vCPU sent after this one left KVM_RUN, which rewrites the registers; an INIT also disables the
     * local APIC, which a running guest has enabled. So the copy is refused unless the vCPU is runnable or halted
     * with its APIC enabled. False, and nothing copied, when the registers must be read by ioctl (also without
     * KVM_CAP_SYNC_REGS, or after a set ioctl since the exit).
     */
    public boolean copyRegsAtLastExit(MpState mpState, Pointer lapic, Pointer regsOut, Pointer sregsOut) {
        fd.get();
        if (!exitRegsCurrent || (mpState != MpState.RUNNABLE && mpState != MpState.HALTED)
                || !Lapic.softwareEnabled(lapic)) {
            return false;
        }
        copy(run.syncRegs(), regsOut, Regs.SIZE);
        copy(run.syncSregs(), sregsOut, Sregs.SIZE);
        return true;
    }

    public Sregs getSregs() {
        getSregs(scratch);
        return new Sregs(KvmStruct.read(scratch, Sregs.SIZE));
    }

    /** KVM_GET_SREGS into {@code out} ({@value Sregs#SIZE} bytes), e.g. straight into a saved state's bytes. */
    public void getSregs(Pointer out) {
        Ioctl.call(fd, "KVM_GET_SREGS", Ioctls.GET_SREGS, out);
    }

    public void setSregs(Sregs sregs) {
        sregs.writeTo(scratch);
        setSregs(scratch);
    }

    /** KVM_SET_SREGS from the kernel struct at {@code in}, e.g. a saved state's bytes where they lie. */
    public void setSregs(Pointer in) {
        set("KVM_SET_SREGS", Ioctls.SET_SREGS, in);
    }

    /** Translates a guest linear address as the vCPU's current paging mode does (KVM_TRANSLATE). */
    public Translation translate(long linear) {
        scratch.putLong(0, linear);
        scratch.putLong(8, 0);
        scratch.putLong(16, 0);
        Ioctl.call(fd, "KVM_TRANSLATE", Ioctls.TRANSLATE, scratch);
        return Translation.read(linear, scratch);
    }

    public Fpu getFpu() {
        Ioctl.call(fd, "KVM_GET_FPU", Ioctls.GET_FPU, scratch);
        return new Fpu(KvmStruct.read(scratch, Fpu.SIZE));
    }

    public void setFpu(Fpu fpu) {
        fpu.writeTo(scratch);
        set("KVM_SET_FPU", Ioctls.SET_FPU, scratch);
    }

    /** The whole XSAVE area, sized by KVM_CAP_XSAVE2 where the kernel has it (KVM_GET_XSAVE2), else 4096 bytes. */
    public Xsave getXsave() {
        getXsave(scratch);
        return new Xsave(KvmStruct.read(scratch, xsaveSize));
    }

    /** The XSAVE area into {@code out}, which has room for {@link #xsaveSize()} bytes. */
    public void getXsave(Pointer out) {
        if (xsave2) {
            Ioctl.call(fd, "KVM_GET_XSAVE2", Ioctls.GET_XSAVE2, out);
        } else {
            Ioctl.call(fd, "KVM_GET_XSAVE", Ioctls.GET_XSAVE, out);
        }
    }

    /** The size of this vCPU's XSAVE area as KVM reports it: 4096 bytes, or more with KVM_CAP_XSAVE2. */
    public int xsaveSize() {
        return xsaveSize;
    }

    public void setXsave(Xsave xsave) {
        xsave.writeTo(scratch);
        setXsave(scratch);
    }

    /** KVM_SET_XSAVE from the area at {@code in}. */
    public void setXsave(Pointer in) {
        set("KVM_SET_XSAVE", Ioctls.SET_XSAVE, in);
    }

    public Xcrs getXcrs() {
        getXcrs(scratch);
        return new Xcrs(KvmStruct.read(scratch, Xcrs.SIZE));
    }

    /** KVM_GET_XCRS into {@code out} ({@value Xcrs#SIZE} bytes), e.g. straight into a saved state's bytes. */
    public void getXcrs(Pointer out) {
        Ioctl.call(fd, "KVM_GET_XCRS", Ioctls.GET_XCRS, out);
    }

    public void setXcrs(Xcrs xcrs) {
        xcrs.writeTo(scratch);
        setXcrs(scratch);
    }

    /** KVM_SET_XCRS from the kernel struct at {@code in}, e.g. a saved state's bytes where they lie. */
    public void setXcrs(Pointer in) {
        set("KVM_SET_XCRS", Ioctls.SET_XCRS, in);
    }

    public Lapic getLapic() {
        getLapic(scratch);
        return new Lapic(KvmStruct.read(scratch, Lapic.SIZE));
    }

    /** KVM_GET_LAPIC into {@code out} ({@value Lapic#SIZE} bytes), e.g. straight into a saved state's bytes. */
    public void getLapic(Pointer out) {
        Ioctl.call(fd, "KVM_GET_LAPIC", Ioctls.GET_LAPIC, out);
    }

    public void setLapic(Lapic lapic) {
        lapic.writeTo(scratch);
        setLapic(scratch);
    }

    /** KVM_SET_LAPIC from the kernel struct at {@code in}, e.g. a saved state's bytes where they lie. */
    public void setLapic(Pointer in) {
        set("KVM_SET_LAPIC", Ioctls.SET_LAPIC, in);
    }

    public VcpuEvents getVcpuEvents() {
        getVcpuEvents(scratch);
        return new VcpuEvents(KvmStruct.read(scratch, VcpuEvents.SIZE));
    }

    /**
     * KVM_GET_VCPU_EVENTS into {@code out} ({@value VcpuEvents#SIZE} bytes), e.g. straight into a saved state's
     * bytes; the deferred struct where one is ({@link #deferVcpuEvents}).
     */
    public void getVcpuEvents(Pointer out) {
        if (readDeferred(KvmRun.SYNC_EVENTS, run.syncEvents(), out, VcpuEvents.SIZE)) {
            return;
        }
        Ioctl.call(fd, "KVM_GET_VCPU_EVENTS", Ioctls.GET_VCPU_EVENTS, out);
    }

    public void setVcpuEvents(VcpuEvents events) {
        events.writeTo(scratch);
        setVcpuEvents(scratch);
    }

    /** KVM_SET_VCPU_EVENTS from the kernel struct at {@code in}, e.g. a saved state's bytes where they lie. */
    public void setVcpuEvents(Pointer in) {
        set("KVM_SET_VCPU_EVENTS", Ioctls.SET_VCPU_EVENTS, in);
        undefer(KvmRun.SYNC_EVENTS);
    }

    /**
     * Sets VCPU_EVENTS at the next KVM_RUN, after REGS deferred with {@link #deferRegs} (KVM sets REGS, then
     * VCPU_EVENTS), instead of by KVM_SET_VCPU_EVENTS now. Only a struct any VM takes is deferred ({@link
     * VcpuEvents#settableAnywhere}): a refusal at KVM_RUN would come after the point where keeping the old state
     * was still possible. False, and nothing done, otherwise: then call {@link #setVcpuEvents(Pointer)}.
     */
    public boolean deferVcpuEvents(Pointer in) {
        fd.get();
        return VcpuEvents.settableAnywhere(in)
                && defer(syncEvents, in, run.syncEvents(), VcpuEvents.SIZE, KvmRun.SYNC_EVENTS);
    }

    public MpState getMpState() {
        Ioctl.call(fd, "KVM_GET_MP_STATE", Ioctls.GET_MP_STATE, scratch);
        knownMpState = scratch.getInt(0);
        return MpState.of(knownMpState);
    }

    public void setMpState(MpState state) {
        scratch.putInt(0, state.value());
        set("KVM_SET_MP_STATE", Ioctls.SET_MP_STATE, scratch);
        knownMpState = state.value();
    }

    public DebugRegs getDebugRegs() {
        getDebugRegs(scratch);
        return new DebugRegs(KvmStruct.read(scratch, DebugRegs.SIZE));
    }

    /** KVM_GET_DEBUGREGS into {@code out} ({@value DebugRegs#SIZE} bytes), e.g. straight into a saved state's bytes. */
    public void getDebugRegs(Pointer out) {
        Ioctl.call(fd, "KVM_GET_DEBUGREGS", Ioctls.GET_DEBUGREGS, out);
    }

    public void setDebugRegs(DebugRegs regs) {
        regs.writeTo(scratch);
        setDebugRegs(scratch);
    }

    /** KVM_SET_DEBUGREGS from the kernel struct at {@code in}, e.g. a saved state's bytes where they lie. */
    public void setDebugRegs(Pointer in) {
        set("KVM_SET_DEBUGREGS", Ioctls.SET_DEBUGREGS, in);
    }

    /**
     * Reads the given MSRs. KVM returns how many it read; fewer than asked names the first unreadable MSR.
     */
    public Msrs getMsrs(int[] indices) {
        long[] values = new long[indices.length];
        readMsrs(indices, values);
        return new Msrs(indices, values);
    }

    /** {@link #getMsrs} into the caller's {@code values} (as long as {@code indices}): nothing allocated. */
    public void readMsrs(int[] indices, long[] values) {
        Pointer p = msrBuffer(indices.length);
        p.putInt(0, indices.length);
        p.putInt(4, 0);
        for (int i = 0; i < indices.length; i++) {
            p.putInt(8L + 16L * i, indices[i]);
            p.putInt(12L + 16L * i, 0);
            p.putLong(16L + 16L * i, 0);
        }
        int n = Ioctl.call(fd, "KVM_GET_MSRS", Ioctls.GET_MSRS, p);
        if (n != indices.length) {
            throw new KvmException("KVM_GET_MSRS", 0, "read " + n + " of " + indices.length
                    + " MSRs; MSR 0x" + Integer.toHexString(indices[n]) + " is not readable");
        }
        for (int i = 0; i < n; i++) {
            values[i] = p.getLong(16L + 16L * i);
        }
    }

    public void setMsrs(Msrs msrs) {
        writeMsrs(msrs.indices(), msrs.values(), 0, msrs.indices().length);
    }

    /** KVM_SET_MSRS of entries {@code from} (inclusive) to {@code to} (exclusive) of the caller's arrays. */
    public void writeMsrs(int[] indices, long[] values, int from, int to) {
        int count = to - from;
        Pointer p = msrBuffer(count);
        p.putInt(0, count);
        p.putInt(4, 0);
        for (int i = 0; i < count; i++) {
            p.putInt(8L + 16L * i, indices[from + i]);
            p.putInt(12L + 16L * i, 0);
            p.putLong(16L + 16L * i, values[from + i]);
        }
        int n = set("KVM_SET_MSRS", Ioctls.SET_MSRS, p);
        if (n != count) {
            throw new KvmException("KVM_SET_MSRS", 0, "wrote " + n + " of " + count
                    + " MSRs; MSR 0x" + Integer.toHexString(indices[from + n]) + " was refused");
        }
    }

    private Pointer msrBuffer(int count) {
        long bytes = 8L + 16L * count;
        return bytes <= SCRATCH_BYTES ? scratch : Sys.allocate((int) bytes);
    }

    public void setCpuid(Cpuid cpuid) {
        Pointer p = Sys.allocate(Cpuid.bytes(cpuid.entries().size()));
        cpuid.writeTo(p);
        set("KVM_SET_CPUID2", Ioctls.SET_CPUID2, p);
        given = cpuid;
    }

    /**
     * The CPUID last set with KVM_SET_CPUID2, null before. {@link #getCpuid()} answers the same table with the bits
     * KVM keeps current as the guest runs (OSXSAVE, XSAVE sizes, APIC enable) filled in; KVM fills them in again
     * from the registers after a restore, so this is the table a saved state carries.
     */
    public Cpuid givenCpuid() {
        return given;
    }

    public Cpuid getCpuid() {
        int max = 256;
        Pointer p = Sys.allocate(Cpuid.bytes(max));
        p.putInt(0, max);
        Ioctl.call(fd, "KVM_GET_CPUID2", Ioctls.GET_CPUID2, p);
        return Cpuid.readFrom(p);
    }

    /**
     * The guest TSC frequency in kHz. Asked once: KVM changes it only through KVM_SET_TSC_KHZ on this vCPU, which
     * {@link #setTscKhz} does, so a save inside a cutover makes no ioctl for it.
     */
    public int getTscKhz() {
        int khz = tscKhz;
        if (khz == 0) {
            khz = Ioctl.call(fd, "KVM_GET_TSC_KHZ", Ioctls.GET_TSC_KHZ, 0);
            tscKhz = khz;
        }
        return khz;
    }

    /** Sets the guest TSC frequency; needs KVM_CAP_TSC_CONTROL (absent under PVM). */
    public void setTscKhz(int khz) {
        if (!vm.kvm().has(Cap.TSC_CONTROL)) {
            throw new UnsupportedCapabilityException(Cap.TSC_CONTROL, "cannot set the guest TSC frequency");
        }
        tscKhz = 0;   // asked again: KVM may round what it was given
        set("KVM_SET_TSC_KHZ", Ioctls.SET_TSC_KHZ, khz);
    }

    /**
     * Tells a kvmclock-aware guest it was paused (so its watchdogs do not fire). The kernel answers EINVAL when
     * the guest has not enabled kvmclock; that is reported as false, not an error.
     */
    public boolean kvmclockCtrl() {
        int r = Sys.C.ioctl(fd.get(), Ioctls.KVMCLOCK_CTRL, 0);
        if (r < 0) {
            int errno = Sys.errno();
            if (errno == Sys.EINVAL) {
                return false;
            }
            throw new KvmException("KVM_KVMCLOCK_CTRL", errno);
        }
        return true;
    }

    /**
     * KVM_PRE_FAULT_MEMORY: builds the guest's stage-2 mappings for a range now, so the first accesses after a
     * handover do not fault. Throws {@link UnsupportedCapabilityException} where the kernel lacks it.
     */
    public void preFaultMemory(long gpa, long size) {
        if (!vm.kvm().has(Cap.PRE_FAULT_MEMORY)) {
            throw new UnsupportedCapabilityException(Cap.PRE_FAULT_MEMORY, "guest memory is faulted on first use");
        }
        Pointer p = Sys.allocate(64);
        p.putLong(0, gpa);
        p.putLong(8, size);
        while (p.getLong(8) > 0) {
            int r = Sys.C.ioctl(fd.get(), Ioctls.PRE_FAULT_MEMORY, p);
            if (r < 0) {
                int errno = Sys.errno();
                if (errno != Sys.EINTR && errno != Sys.EAGAIN) {
                    throw new KvmException("KVM_PRE_FAULT_MEMORY", errno,
                            String.format("at gpa 0x%x", p.getLong(0)));
                }
            }
        }
    }

    @Override
    public void close() {
        deferred = 0;
        exitRegsCurrent = false;
        try {
            runMapping.close();
        } finally {
            fd.close();
        }
    }

    /** A set ioctl: the registers of the last exit may no longer be the vCPU's. */
    private int set(String name, long request, Pointer arg) {
        exitRegsCurrent = false;
        return Ioctl.call(fd, name, request, arg);
    }

    private int set(String name, long request, long arg) {
        exitRegsCurrent = false;
        return Ioctl.call(fd, name, request, arg);
    }

    /** Copies {@code in} into kvm_run's sync area for the next KVM_RUN, unless KVM would not apply it there. */
    private boolean defer(boolean capable, Pointer in, Pointer area, int bytes, long bit) {
        fd.get();   // a closed vCPU's page is gone: its error, not a fault
        if (!capable || knownMpState < 0 || knownMpState == MpState.UNINITIALIZED.value()) {
            return false;
        }
        exitRegsCurrent = false;
        copy(in, area, bytes);
        deferred |= bit;
        run.setDirtyRegs(deferred);
        return true;
    }

    /** The deferred struct, what the vCPU will run with, into {@code out}; false when none is deferred. */
    private boolean readDeferred(long bit, Pointer area, Pointer out, int bytes) {
        if ((deferred & bit) == 0) {
            return false;
        }
        fd.get();
        copy(area, out, bytes);
        return true;
    }

    private void undefer(long bits) {
        if ((deferred & bits) != 0) {
            deferred &= ~bits;
            run.setDirtyRegs(deferred);
        }
    }

    /** Whole words: every struct copied is a multiple of 8 bytes (JNR's transferTo refuses a bounded slice). */
    private static void copy(Pointer from, Pointer to, int bytes) {
        for (int i = 0; i < bytes; i += 8) {
            to.putLong(i, from.getLong(i));
        }
    }
}
