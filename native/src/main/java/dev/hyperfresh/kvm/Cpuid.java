package dev.hyperfresh.kvm;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import jnr.ffi.Pointer;

/** A CPUID table (struct kvm_cpuid2). */
public record Cpuid(List<CpuidEntry> entries) {
    public Cpuid {
        entries = List.copyOf(entries);
    }

    public Optional<CpuidEntry> find(int function, int index) {
        return entries.stream().filter(e -> e.function() == function
                && ((e.flags() & CpuidEntry.FLAG_SIGNIFCANT_INDEX) == 0 || e.index() == index)).findFirst();
    }

    /** A copy with every entry of {@code function} replaced by {@code change} applied to it. */
    public Cpuid map(int function, UnaryOperator<CpuidEntry> change) {
        List<CpuidEntry> out = new ArrayList<>(entries.size());
        for (CpuidEntry e : entries) {
            out.add(e.function() == function ? change.apply(e) : e);
        }
        return new Cpuid(out);
    }

    static int bytes(int nent) {
        return 8 + nent * CpuidEntry.SIZE;
    }

    void writeTo(Pointer p) {
        p.putInt(0, entries.size());
        p.putInt(4, 0);
        for (int i = 0; i < entries.size(); i++) {
            CpuidEntry e = entries.get(i);
            long o = 8L + (long) i * CpuidEntry.SIZE;
            p.putInt(o, e.function());
            p.putInt(o + 4, e.index());
            p.putInt(o + 8, e.flags());
            p.putInt(o + 12, e.eax());
            p.putInt(o + 16, e.ebx());
            p.putInt(o + 20, e.ecx());
            p.putInt(o + 24, e.edx());
            p.putInt(o + 28, 0);
            p.putInt(o + 32, 0);
            p.putInt(o + 36, 0);
        }
    }

    static Cpuid readFrom(Pointer p) {
        int n = p.getInt(0);
        List<CpuidEntry> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long o = 8L + (long) i * CpuidEntry.SIZE;
            out.add(new CpuidEntry(p.getInt(o), p.getInt(o + 4), p.getInt(o + 8), p.getInt(o + 12),
                    p.getInt(o + 16), p.getInt(o + 20), p.getInt(o + 24)));
        }
        return new Cpuid(out);
    }
}
