package dev.hyperfresh.bench;

import dev.hyperfresh.sys.RealtimePriority;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A thread that, once armed, spins until a condition holds and stamps when it saw it (CLOCK_MONOTONIC, as
 * {@link System#nanoTime()} reads on Linux): the standby's wait for the offer, or the barest cross-thread
 * hand-off when the condition is one volatile flag. Like {@code IncomingHandover.awaitOffer} it spins for 50 ms,
 * then polls every millisecond. Between rounds it sleeps, so it spins only when the real one would. At
 * {@code realtime} it runs at SCHED_FIFO, as the cutover threads do where allowed.
 */
final class Spinner implements AutoCloseable {
    private static final long SPIN_NS = 50_000_000;
    private static final long GIVE_UP_NS = 10_000_000_000L;

    private final BooleanSupplier until;
    private final Thread thread;
    private volatile boolean armed;
    private volatile boolean spinning;
    private volatile long seenAt;
    private volatile boolean closed;

    Spinner(String name, BooleanSupplier until, boolean realtime) {
        this.until = until;
        this.thread = new Thread(() -> run(realtime), name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Wakes the thread and returns once it spins. */
    void arm() throws TimeoutException {
        seenAt = 0;
        spinning = false;
        armed = true;
        LockSupport.unpark(thread);
        Waits.until(() -> spinning, thread.getName() + " to spin");
    }

    /** When the armed thread saw the condition (waits for it). */
    long awaitSeen() throws TimeoutException {
        Waits.until(() -> seenAt != 0, thread.getName() + " to see its condition");
        if (seenAt < 0) {
            throw new TimeoutException(thread.getName() + " waited 10 s without seeing its condition");
        }
        return seenAt;
    }

    /** Arms the thread, runs {@code trigger}, and returns how long after the trigger began the thread saw it. */
    long measure(Runnable trigger) throws TimeoutException {
        arm();
        long start = System.nanoTime();
        trigger.run();
        return awaitSeen() - start;
    }

    private void run(boolean realtime) {
        try (RealtimePriority boost = realtime ? RealtimePriority.raise() : null) {
            while (!closed) {
                if (!armed) {
                    LockSupport.park();
                    continue;
                }
                armed = false;
                spinning = true;
                seenAt = await();
            }
        }
    }

    private long await() {
        long start = System.nanoTime();
        while (!until.getAsBoolean()) {
            long waited = System.nanoTime() - start;
            if (waited > GIVE_UP_NS) {
                return -1;
            }
            if (waited < SPIN_NS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(1_000_000);
            }
        }
        return System.nanoTime();
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        LockSupport.unpark(thread);
        thread.join(5_000);
    }
}
