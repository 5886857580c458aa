package dev.hyperfresh.sys;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * CPUs kept for a handover's vCPU threads: each alone on one CPU ({@code own}), every other thread of this process,
 * and any started meanwhile (a thread inherits its creator's set), on the rest ({@code others}); and the old
 * instance, once the VMs run here, off those CPUs too ({@link #stayOff}). Right after a cutover both instances run
 * cold code (compiling, first replies, the old one's exit): threads woken onto the guest's CPU took it for 1-9 ms
 * at a time although another CPU was free (docs/BENCHMARKS.md). Only where a CPU is left for the rest and the
 * vCPU threads may run on all of the process's CPUs; a thread with CPUs of its own (pinned by the operator, or a
 * task the kernel runs in this process, as KVM's NX huge page recovery) keeps them.
 */
public final class CpuSplit {
    private final BitSet all;
    private final BitSet others;
    private final List<Integer> favoured;
    private final List<BitSet> own;
    /** The threads there were at the split, and those of them it moved: the others' sets are not its own. */
    private final Set<Integer> present;
    private final Set<Integer> moved;

    private CpuSplit(BitSet all, BitSet others, List<Integer> favoured, List<BitSet> own, Set<Integer> present,
                     Set<Integer> moved) {
        this.all = all;
        this.others = others;
        this.favoured = favoured;
        this.own = own;
        this.present = present;
        this.moved = moved;
    }

    /** Splits this process's CPUs for threads {@code favoured}; empty where it does not (see the class). */
    public static Optional<CpuSplit> keepApart(List<Integer> favoured) {
        Optional<BitSet> process = CpuAffinity.ofThread(0);
        if (favoured.isEmpty() || process.isEmpty()) {
            return Optional.empty();
        }
        BitSet all = process.get();
        for (int tid : favoured) {
            if (!CpuAffinity.ofThread(tid).map(all::equals).orElse(false)) {
                return Optional.empty();
            }
        }
        BitSet others = (BitSet) all.clone();
        List<BitSet> own = new ArrayList<>();
        for (int i = 0; i < favoured.size(); i++) {
            int cpu = others.previousSetBit(others.length());   // the last ones: CPU 0 gets most of the host's chores
            if (cpu < 0) {
                return Optional.empty();
            }
            others.clear(cpu);
            BitSet one = new BitSet();
            one.set(cpu);
            own.add(one);
        }
        if (others.isEmpty()) {
            return Optional.empty();
        }
        List<Integer> present = ProcStat.threadsOfThisProcess();
        Set<Integer> moved = new HashSet<>();
        for (int tid : present) {
            int i = favoured.indexOf(tid);
            if (CpuAffinity.ofThread(tid).map(all::equals).orElse(false)
                    && CpuAffinity.setThread(tid, i >= 0 ? own.get(i) : others)) {
                moved.add(tid);
            }
        }
        return Optional.of(new CpuSplit(all, others, List.copyOf(favoured), List.copyOf(own), Set.copyOf(present),
                Set.copyOf(moved)));
    }

    /** The CPUs the favoured threads hold. */
    public BitSet guestCpus() {
        BitSet cpus = new BitSet();
        own.forEach(cpus::or);
        return cpus;
    }

    /**
     * Every thread the split moved, or started since (on the set of its creator), back on all the CPUs while still
     * on the split's set; any other set is someone else's choice since.
     */
    public void undo() {
        for (int tid : ProcStat.threadsOfThisProcess()) {
            if (present.contains(tid) && !moved.contains(tid)) {
                continue;
            }
            int i = favoured.indexOf(tid);
            BitSet given = i >= 0 ? own.get(i) : others;
            if (CpuAffinity.ofThread(tid).map(given::equals).orElse(false)) {
                CpuAffinity.setThread(tid, all);
            }
        }
    }

    /**
     * Moves every thread of this process off {@code cpus}, the calling one first, where that leaves it any CPU; a
     * thread with CPUs of its own keeps them. For an instance whose VMs now run on those CPUs in another process (for
     * good), and for the console while it watches them there ({@link Away#close()} puts them back).
     */
    public static Away stayOff(BitSet cpus) {
        Optional<BitSet> process = CpuAffinity.ofThread(0);
        if (cpus.isEmpty() || process.isEmpty()) {
            return Away.NOWHERE;
        }
        BitSet all = process.get();
        BitSet rest = (BitSet) all.clone();
        rest.andNot(cpus);
        if (rest.isEmpty() || !CpuAffinity.setThread(0, rest)) {
            return Away.NOWHERE;
        }
        List<Integer> present = ProcStat.threadsOfThisProcess();
        for (int tid : present) {
            if (CpuAffinity.ofThread(tid).map(all::equals).orElse(false)) {
                CpuAffinity.setThread(tid, rest);
            }
        }
        return new Away(all, rest);
    }

    /** Threads moved by {@link #stayOff}: back on all their CPUs, with any started since, unless moved again. */
    public static final class Away implements AutoCloseable {
        static final Away NOWHERE = new Away(null, null);
        private final BitSet all;
        private final BitSet rest;

        private Away(BitSet all, BitSet rest) {
            this.all = all;
            this.rest = rest;
        }

        @Override
        public void close() {
            if (all == null) {
                return;
            }
            for (int tid : ProcStat.threadsOfThisProcess()) {
                if (CpuAffinity.ofThread(tid).map(rest::equals).orElse(false)) {
                    CpuAffinity.setThread(tid, all);
                }
            }
        }
    }
}
