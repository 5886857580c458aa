package dev.hyperfresh.bench;

import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * How the harness's own threads wait for one another outside the timed spans: spin briefly, then poll with short
 * sleeps — never an unbounded spin, which at SCHED_FIFO would starve the very thread it waits for on a busy host.
 */
final class Waits {
    private static final long SPIN_NS = 200_000;
    private static final long TIMEOUT_NS = 10_000_000_000L;

    private Waits() {
    }

    static void until(BooleanSupplier done, String what) throws TimeoutException {
        long start = System.nanoTime();
        while (!done.getAsBoolean()) {
            long waited = System.nanoTime() - start;
            if (waited > TIMEOUT_NS) {
                throw new TimeoutException("waited 10 s for " + what);
            }
            if (waited < SPIN_NS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(20_000);
            }
        }
    }
}
