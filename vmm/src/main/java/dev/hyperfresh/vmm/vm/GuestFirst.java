package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.sys.CpuSplit;
import dev.hyperfresh.sys.Nice;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * For the first second after a cutover, the vCPU threads of the VMs just taken over come before everything else on
 * the host: their own nice value and (where the process leads its session) its autogroup's go to {@link #NICE}, then
 * back to what they were, and the CPUs kept for them since the adopt ({@link CpuSplit}) are given back too. That
 * second the new instance's code runs cold (its JIT compiles, each path's first use) and the old instance exits; at
 * equal priority the scheduler gave that work the guest's CPU, and a 1-vCPU hfguest on a 2-CPU PVM host saw its loop
 * stop for 3-20 ms (median 7.5-12 ms) within half a second of a 0.5 ms blackout; with both nice values at -10 that
 * fell to a median of 3 ms, either alone changed nothing (docs/BENCHMARKS.md). Where the favoured vCPUs hold every
 * CPU, for {@link #SHORT_WINDOW_MS} only: with 2 busy vCPUs on 2 CPUs a second made the guest's pause 20 → 12 ms but
 * the console's `replace` 0.6-0.9 s slower, everything else waiting it out; the first 200 ms, when the cold work
 * comes, made it 23 → 19 ms at little cost. Needs CAP_SYS_NICE; without it nothing changes.
 */
final class GuestFirst implements Runnable {
    static final int NICE = -10;
    static final long WINDOW_MS = 1_000;
    static final long SHORT_WINDOW_MS = 200;

    private record Changed(int tid, int before) {
    }

    private final List<Changed> threads;
    private final OptionalInt autogroupBefore;
    private final Optional<CpuSplit> split;

    private GuestFirst(List<Changed> threads, OptionalInt autogroupBefore, Optional<CpuSplit> split) {
        this.threads = threads;
        this.autogroupBefore = autogroupBefore;
        this.split = split;
    }

    /**
     * Favours threads {@code tids} now, for {@link #WINDOW_MS} where they leave a CPU free, else for
     * {@link #SHORT_WINDOW_MS}; {@code executor} puts things back, {@code split} (the CPUs kept for them since the
     * standby adopted the VMs) too.
     */
    static void forAWhile(List<Integer> tids, Optional<CpuSplit> split, ScheduledExecutorService executor) {
        // A split leaves CPUs by construction (and availableProcessors() counts the calling thread's, split too).
        // Holding every CPU, everything else on the host, the operator's command too, waits out the window.
        long window = split.isEmpty() && tids.size() >= Runtime.getRuntime().availableProcessors() ? SHORT_WINDOW_MS
                : WINDOW_MS;
        executor.schedule(begin(tids, split), window, TimeUnit.MILLISECONDS);
    }

    /** Favours threads {@code tids} (and this process's autogroup) where they are not favoured more already. */
    private static GuestFirst begin(List<Integer> tids, Optional<CpuSplit> split) {
        List<Changed> changed = new ArrayList<>();
        for (int tid : tids) {
            OptionalInt before = Nice.ofThread(tid);
            if (before.isPresent() && before.getAsInt() > NICE && Nice.setThread(tid, NICE)) {
                changed.add(new Changed(tid, before.getAsInt()));
            }
        }
        // Only a session of its own: a shared one (in-process in a test JVM, say) would keep the value if this
        // process ended within the window; seen on a shell session left at -10.
        OptionalInt group = Nice.ownsItsAutogroup() ? Nice.ofAutogroup() : OptionalInt.empty();
        boolean groupChanged = group.isPresent() && group.getAsInt() > NICE && Nice.setAutogroup(NICE);
        return new GuestFirst(changed, groupChanged ? group : OptionalInt.empty(), split);
    }

    /** Puts back what {@link #begin} changed and nobody has changed since. */
    @Override
    public void run() {
        split.ifPresent(CpuSplit::close);
        for (Changed c : threads) {
            if (Nice.ofThread(c.tid()).equals(OptionalInt.of(NICE))) {
                Nice.setThread(c.tid(), c.before());
            }
        }
        if (autogroupBefore.isPresent() && Nice.ofAutogroup().equals(OptionalInt.of(NICE))) {
            Nice.setAutogroup(autogroupBefore.getAsInt());
        }
    }
}
