package dev.hyperfresh.bench;

import dev.hyperfresh.sys.MonotonicClock;
import java.util.List;

/**
 * Not a step but a cost inside many: {@link MonotonicClock#nanos()}, which every {@code Ledger.stamp}, the gate's
 * park and first-run stamps and each turn of the standby's offer spin read. Floor: {@link System#nanoTime()},
 * which reads the same CLOCK_MONOTONIC on Linux.
 */
final class ClockProbe implements CutoverProbe {
    private long sink;

    @Override
    public List<Row> rows() {
        return List.of(new Row(200, "clock read (MonotonicClock.nanos, in every stamp)", "System.nanoTime", false));
    }

    @Override
    public void round(long[] real, long[] floor) {
        long t0 = System.nanoTime();
        long a = MonotonicClock.nanos();
        long t1 = System.nanoTime();
        long b = System.nanoTime();
        long t2 = System.nanoTime();
        sink += a + b;
        real[0] = t1 - t0;
        floor[0] = t2 - t1;
    }

    @Override
    public void close() {
        sink = 0;
    }
}
