package dev.hyperfresh.sys;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * CPUs kept for a handover's vCPU threads: each alone on one CPU ({@code own}), every other thread of this process,
 * and any started meanwhile (a thread inherits its creator's set), on the rest ({@code others}); and the old
 * instance and the console, once the VMs run on those CPUs in the new one, off them too ({@link #stayOff}). Right
 * after a cutover every process involved runs cold code (compiling, first replies, the old one's exit): threads woken
 * onto the guest's CPU took it for 1-9 ms at a time although another CPU was free (docs/BENCHMARKS.md). Only where a
 * CPU is left for the rest and the vCPU threads may run on all of the process's CPUs; a thread with CPUs of its own
 * (pinned by the operator, or a task the kernel runs in this process, as KVM's NX huge page recovery) keeps them.
 * {@link #close()} puts back what the split moved.
 */
public final class CpuSplit implements AutoCloseable {
    /** A split that moved nothing: closing it does nothing. */
    private static final CpuSplit NOTHING = new CpuSplit(null, null, List.of(), List.of(), Set.of(), Set.of());
    private final BitSet all;
    private final BitSet others;
    private final List<Integer> favoured;
    private final List<BitSet> own;
    /** The threads there were at the split, and those of them it moved: the others' sets are not its own. */
    private final Set<Integer> present;
    private final Set<Integer> moved;
    /** Splits of this process not yet closed: while one is, a thread's CPUs may be the split's, not the operator's. */
    private static final AtomicInteger OPEN = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

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
        return others.isEmpty() ? Optional.empty() : Optional.of(move(all, others, favoured, own));
    }

    /**
     * Moves every thread of this process off {@code cpus}, the calling one first, where that leaves it any CPU: for an
     * instance whose VMs now run on those CPUs in another process (for good), and for the console while it watches
     * them there (until {@link #close()}).
     */
    public static CpuSplit stayOff(BitSet cpus) {
        Optional<BitSet> process = CpuAffinity.ofThread(0);
        if (cpus.isEmpty() || process.isEmpty()) {
            return NOTHING;
        }
        BitSet rest = (BitSet) process.get().clone();
        rest.andNot(cpus);
        return rest.isEmpty() ? NOTHING : move(process.get(), rest, List.of(), List.of());
    }

    /** The calling thread first (it goes on working meanwhile), then every other one still on all the CPUs. */
    private static CpuSplit move(BitSet all, BitSet others, List<Integer> favoured, List<BitSet> own) {
        Set<Integer> moved = new HashSet<>();
        int caller = Sys.C.gettid();
        List<Integer> present = new ArrayList<>(List.of(caller));
        present.addAll(ProcStat.threadsOfThisProcess());
        for (int tid : present) {
            int i = favoured.indexOf(tid);
            if (!moved.contains(tid) && CpuAffinity.ofThread(tid).map(all::equals).orElse(false)
                    && CpuAffinity.setThread(tid, i >= 0 ? own.get(i) : others)) {
                moved.add(tid);
            }
        }
        OPEN.incrementAndGet();
        return new CpuSplit(all, others, List.copyOf(favoured), List.copyOf(own), Set.copyOf(present),
                Set.copyOf(moved));
    }

    /** Whether a split of this process is in effect (see {@link #OPEN}). */
    public static boolean anyOpen() {
        return OPEN.get() > 0;
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
    @Override
    public void close() {
        if (all == null || !closed.compareAndSet(false, true)) {
            return;
        }
        OPEN.decrementAndGet();
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
}
