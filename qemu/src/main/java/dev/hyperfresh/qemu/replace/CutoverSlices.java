package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.sys.ProcStat;
import dev.hyperfresh.sys.TimeSlice;
import java.util.ArrayList;
import java.util.List;

/**
 * From the migration until the new QEMU reports the migration loaded, each of its threads has the shortest time
 * slice ({@link TimeSlice}). The way from the guest's stop to its RESUME wakes the new QEMU's main loop, its monitor
 * thread and its vCPU threads one after another, and at the default slice each woken thread waited for whatever ran
 * on its CPU to use up its own slice: this process's JIT compilers and QMP readers, up to 1.4 ms a hop (traced on
 * the PVM host). A short slice lets it preempt at once without a real-time class, so nothing can hog a CPU through
 * it, and one left short (this process dying in between) costs only more frequent switches. Afterwards every
 * thread has the kernel's default slice again; QEMU sets none of its own.
 */
final class CutoverSlices implements AutoCloseable {
    private final List<Integer> shortened;

    private CutoverSlices(List<Integer> shortened) {
        this.shortened = shortened;
    }

    /** Shortens the slice of every thread process {@code pid} has now (its vCPU threads exist from its start). */
    static CutoverSlices shorten(long pid) {
        List<Integer> shortened = new ArrayList<>();
        for (int tid : ProcStat.threadsOf(pid)) {
            if (TimeSlice.set(tid, TimeSlice.SHORTEST_NANOS)) {
                shortened.add(tid);
            }
        }
        return new CutoverSlices(shortened);
    }

    @Override
    public void close() {
        shortened.forEach(tid -> TimeSlice.set(tid, TimeSlice.DEFAULT));
    }
}
