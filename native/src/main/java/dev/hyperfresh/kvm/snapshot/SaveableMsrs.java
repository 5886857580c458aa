package dev.hyperfresh.kvm.snapshot;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.KvmException;
import dev.hyperfresh.kvm.Msrs;
import dev.hyperfresh.kvm.Vcpu;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Which MSRs a vCPU snapshot carries: KVM's MSR index list plus the MTRRs (which the list omits), kept only where
 * this vCPU can actually read them, ordered so that IA32_TSC precedes IA32_TSC_DEADLINE on restore.
 */
public final class SaveableMsrs {
    public static final int IA32_TSC = 0x10;
    public static final int IA32_TSC_DEADLINE = 0x6e0;
    /** kvmclock's per-vCPU time page, old and new index; bit 0 enables it. */
    private static final int KVM_SYSTEM_TIME = 0x12, KVM_SYSTEM_TIME_NEW = 0x4b564d01;
    /** MSRs whose value advances with time on its own: equal state means equal apart from these. */
    public static final java.util.Set<Integer> TIME_VARYING = java.util.Set.of(IA32_TSC,
            0x40000010 /* HV_X64_MSR_VP_RUNTIME */, 0x40000020 /* HV_X64_MSR_TIME_REF_COUNT */);
    private static final int[] MTRRS = IntStream.concat(IntStream.of(0x2ff, 0x250, 0x258, 0x259),
            IntStream.concat(IntStream.rangeClosed(0x268, 0x26f), IntStream.rangeClosed(0x200, 0x20f))).toArray();

    private SaveableMsrs() {
    }

    public static int[] of(Kvm kvm, Vcpu probe) {
        int[] candidates = IntStream.concat(Arrays.stream(kvm.msrIndexList()), Arrays.stream(MTRRS))
                .distinct().toArray();
        return Arrays.stream(candidates).filter(i -> readable(probe, i))
                .boxed().sorted((a, b) -> Boolean.compare(a == IA32_TSC_DEADLINE, b == IA32_TSC_DEADLINE))
                .mapToInt(Integer::intValue).toArray();
    }

    /** The same set without {@link #TIME_VARYING} entries, for comparing two snapshots. */
    public static Msrs withoutTimeVarying(Msrs msrs) {
        int[] idx = msrs.indices();
        long[] val = msrs.values();
        int[] keep = IntStream.range(0, idx.length).filter(i -> !TIME_VARYING.contains(idx[i])).toArray();
        return new Msrs(Arrays.stream(keep).map(i -> idx[i]).toArray(),
                Arrays.stream(keep).mapToLong(i -> val[i]).toArray());
    }

    /**
     * Whether a vCPU with these MSRs has kvmclock enabled, i.e. whether KVM_KVMCLOCK_CTRL would do anything for it
     * (KVM answers EINVAL otherwise).
     */
    public static boolean kvmclockEnabled(int[] indices, long[] values) {
        for (int i = 0; i < indices.length; i++) {
            if ((indices[i] == KVM_SYSTEM_TIME || indices[i] == KVM_SYSTEM_TIME_NEW) && (values[i] & 1) != 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean readable(Vcpu vcpu, int index) {
        try {
            vcpu.getMsrs(new int[] {index});
            return true;
        } catch (KvmException e) {
            return false;
        }
    }
}
