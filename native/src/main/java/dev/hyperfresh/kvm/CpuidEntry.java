package dev.hyperfresh.kvm;

/** struct kvm_cpuid_entry2: one CPUID leaf/subleaf as the guest will see it. */
public record CpuidEntry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {
    static final int SIZE = 40;
    /** The entry depends on the subleaf in ECX. */
    public static final int FLAG_SIGNIFCANT_INDEX = 1;

    public CpuidEntry withEbx(int v) {
        return new CpuidEntry(function, index, flags, eax, v, ecx, edx);
    }

    public CpuidEntry withEcx(int v) {
        return new CpuidEntry(function, index, flags, eax, ebx, v, edx);
    }

    public CpuidEntry withEdx(int v) {
        return new CpuidEntry(function, index, flags, eax, ebx, ecx, v);
    }
}
