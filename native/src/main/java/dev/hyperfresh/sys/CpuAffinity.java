package dev.hyperfresh.sys;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Optional;

/**
 * Which CPUs a thread of this process may run on (sched_setaffinity(2)).
 * A thread inherits its creator's set, so a set given to every thread holds for threads started after it too.
 */
public final class CpuAffinity {
    /** 1024 CPUs, glibc's cpu_set_t: the kernel rejects a set smaller than its own nr_cpu_ids. */
    public static final int CPU_SET_WORDS = 16;

    private CpuAffinity() {
    }

    /** The CPUs thread {@code tid} (0: the caller) may run on, or empty when it has gone. */
    public static Optional<BitSet> ofThread(int tid) {
        long[] mask = new long[CPU_SET_WORDS];
        return Sys.C.sched_getaffinity(tid, CPU_SET_WORDS * Long.BYTES, mask) < 0 ? Optional.empty()
                : Optional.of(BitSet.valueOf(mask));
    }

    /** Lets thread {@code tid} run on {@code cpus} only; false where not allowed or the thread has gone. */
    public static boolean setThread(int tid, BitSet cpus) {
        return Sys.C.sched_setaffinity(tid, CPU_SET_WORDS * Long.BYTES, cpuSet(cpus)) == 0;
    }

    /** {@code cpus} as a cpu_set_t's words. */
    public static long[] cpuSet(BitSet cpus) {
        return Arrays.copyOf(cpus.toLongArray(), CPU_SET_WORDS);
    }
}
