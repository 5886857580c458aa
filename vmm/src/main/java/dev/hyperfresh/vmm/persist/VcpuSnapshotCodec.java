package dev.hyperfresh.vmm.persist;

import dev.hyperfresh.kvm.Cpuid;
import dev.hyperfresh.kvm.CpuidEntry;
import dev.hyperfresh.kvm.DebugRegs;
import dev.hyperfresh.kvm.Lapic;
import dev.hyperfresh.kvm.MpState;
import dev.hyperfresh.kvm.Msrs;
import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.kvm.VcpuEvents;
import dev.hyperfresh.kvm.Xcrs;
import dev.hyperfresh.kvm.Xsave;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of one {@link VcpuSnapshot}: u16 {@link VcpuSnapshot#FORMAT_VERSION}, then its fields in declaration
 * order. Kernel structs travel as u32 length + their exact ABI bytes; CPUID and MSRs as a u32 count + entries.
 */
public final class VcpuSnapshotCodec {
    private static final int CPUID_ENTRY_WORDS = 7;
    static final int CPUID_ENTRY_BYTES = CPUID_ENTRY_WORDS * 4;
    static final int MSR_BYTES = 4 + 8;

    private VcpuSnapshotCodec() {
    }

    public static byte[] encode(VcpuSnapshot s) {
        StateOutput out = new StateOutput();
        write(out, s);
        return out.toByteArray();
    }

    public static VcpuSnapshot decode(byte[] bytes) {
        StateInput in = new StateInput(ByteBuffer.wrap(bytes));
        VcpuSnapshot s = read(in);
        in.expectEnd("vCPU " + s.id() + "'s state");
        return s;
    }

    /** The field order; {@link InPlaceState} writes the same fields straight from the vCPU, through the helpers. */
    static void write(StateOutput out, VcpuSnapshot s) {
        writeHead(out, s.id(), s.mpState());
        out.blob(s.regs().toBytes()).blob(s.sregs().toBytes()).blob(s.xsave().toBytes()).blob(s.xcrs().toBytes())
                .blob(s.debugRegs().toBytes()).blob(s.lapic().toBytes());
        out.u32(s.tscKhz());
        writeCpuid(out, s.cpuid().entries());
        writeMsrs(out, s.msrs().indices(), s.msrs().values());
        out.blob(s.events().toBytes());
    }

    static void writeHead(StateOutput out, int id, MpState mpState) {
        out.u16(VcpuSnapshot.FORMAT_VERSION).u32(id).u32(mpState.value());
    }

    static void writeCpuid(StateOutput out, List<CpuidEntry> entries) {
        out.u32(entries.size());
        for (int i = 0; i < entries.size(); i++) {   // plain loops: the in-place save runs inside the blackout
            CpuidEntry e = entries.get(i);
            out.u32(e.function()).u32(e.index()).u32(e.flags()).u32(e.eax()).u32(e.ebx()).u32(e.ecx()).u32(e.edx());
        }
    }

    static void writeMsrs(StateOutput out, int[] indices, long[] values) {
        out.u32(indices.length);
        for (int i = 0; i < indices.length; i++) {
            out.u32(indices[i]).u64(values[i]);
        }
    }

    static VcpuSnapshot read(StateInput in) {
        int id = readVersionAndId(in);
        try {
            return read(in, id);
        } catch (StateFormatException e) {
            throw new StateFormatException("vCPU " + id + " " + e.getMessage());
        }
    }

    /** A vCPU section's opening: its format version, refused unless this reader knows it, then the vCPU's id. */
    static int readVersionAndId(StateInput in) {
        int version = in.u16("vCPU state format version");
        if (version != VcpuSnapshot.FORMAT_VERSION) {
            throw new StateFormatException("vCPU state format " + version + " is not one this reader knows (it reads "
                    + VcpuSnapshot.FORMAT_VERSION + ")");
        }
        return in.u32("vCPU id");
    }

    /** The fields after the id. Labels are constants (the caller names the vCPU): decoding runs in the blackout. */
    private static VcpuSnapshot read(StateInput in, int id) {
        MpState mp = mpState(in.u32("mp_state"));
        Regs regs = new Regs(KernelStructs.exact(in, "regs", Regs.SIZE));
        Sregs sregs = new Sregs(KernelStructs.exact(in, "sregs", Sregs.SIZE));
        Xsave xsave = new Xsave(KernelStructs.atLeast(in, "xsave", Xsave.MIN_SIZE));
        Xcrs xcrs = new Xcrs(KernelStructs.exact(in, "xcrs", Xcrs.SIZE));
        DebugRegs debug = new DebugRegs(KernelStructs.exact(in, "debugregs", DebugRegs.SIZE));
        Lapic lapic = new Lapic(KernelStructs.exact(in, "lapic", Lapic.SIZE));
        int tscKhz = in.u32("tsc_khz");
        Cpuid cpuid = cpuid(in);
        Msrs msrs = msrs(in);
        VcpuEvents events = new VcpuEvents(KernelStructs.exact(in, "vcpu_events", VcpuEvents.SIZE));
        return new VcpuSnapshot(id, mp, regs, sregs, xsave, xcrs, debug, lapic, tscKhz, cpuid, msrs, events);
    }

    static MpState mpState(int value) {
        try {
            return MpState.of(value);
        } catch (IllegalArgumentException e) {
            throw new StateFormatException("mp_state: " + e.getMessage());
        }
    }

    static Cpuid cpuid(StateInput in) {
        int count = KernelStructs.count(in, "CPUID entries", CPUID_ENTRY_BYTES);
        List<CpuidEntry> entries = new ArrayList<>(count);
        int[] w = new int[CPUID_ENTRY_WORDS];
        for (int i = 0; i < count; i++) {
            readCpuidEntry(in, w);
            entries.add(new CpuidEntry(w[0], w[1], w[2], w[3], w[4], w[5], w[6]));
        }
        return new Cpuid(entries);
    }

    /** A CPUID table as {@link #writeCpuid} writes it. */
    static byte[] cpuidSection(Cpuid cpuid) {
        StateOutput out = new StateOutput();
        writeCpuid(out, cpuid.entries());
        return out.toByteArray();
    }

    /**
     * Reads past a CPUID table; true if it is {@code given}, a {@link #cpuidSection} (null: none), byte for byte —
     * one comparison where it lies: the in-place restore checks it inside the blackout.
     */
    static boolean sameCpuid(StateInput in, byte[] given) {
        int at = in.position();
        int count = KernelStructs.count(in, "CPUID entries", CPUID_ENTRY_BYTES);
        in.reset(at);
        return in.skipComparing(4 + count * CPUID_ENTRY_BYTES, given, "CPUID entries");
    }

    /** One entry's words in the order {@link #write} puts them: function, index, flags, eax, ebx, ecx, edx. */
    private static void readCpuidEntry(StateInput in, int[] into) {
        for (int i = 0; i < CPUID_ENTRY_WORDS; i++) {
            into[i] = in.u32("CPUID entry");
        }
    }

    static Msrs msrs(StateInput in) {
        MsrEntries entries = msrEntries(in);
        return new Msrs(entries.indices(), entries.values());
    }

    /** The MSR entries in arrays of their own, without the copies a {@link Msrs} makes of them. */
    static MsrEntries msrEntries(StateInput in) {
        int count = KernelStructs.count(in, "MSRs", MSR_BYTES);
        int[] indices = new int[count];
        long[] values = new long[count];
        for (int i = 0; i < count; i++) {
            indices[i] = in.u32("MSR index");
            values[i] = in.u64("MSR value");
        }
        return new MsrEntries(indices, values);
    }

    record MsrEntries(int[] indices, long[] values) {
    }
}
