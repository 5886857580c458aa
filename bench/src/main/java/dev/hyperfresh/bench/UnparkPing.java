package dev.hyperfresh.bench;

import dev.hyperfresh.sys.RealtimePriority;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The barest wake-up of a sleeping Java thread: {@link LockSupport#unpark}, until its {@link LockSupport#park}
 * returns.
 */
final class UnparkPing implements AutoCloseable {
    private final Thread thread;
    private volatile boolean go;
    private volatile long wokeAt;
    private volatile boolean closed;

    UnparkPing(boolean realtime) {
        thread = new Thread(() -> run(realtime), "floor-unpark");
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits until the thread sleeps in park, wakes it, and returns how long it took to return from park. */
    long measure() throws TimeoutException {
        wokeAt = 0;
        Waits.until(() -> thread.getState() == Thread.State.WAITING, "the unpark floor's thread to sleep");
        long start = System.nanoTime();
        go = true;
        LockSupport.unpark(thread);
        Waits.until(() -> wokeAt != 0, "the unpark floor's thread to wake");
        return wokeAt - start;
    }

    private void run(boolean realtime) {
        try (RealtimePriority boost = realtime ? RealtimePriority.raise() : null) {
            while (!closed) {
                while (!go && !closed) {
                    LockSupport.park();
                }
                wokeAt = System.nanoTime();
                go = false;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        LockSupport.unpark(thread);
        thread.join(5_000);
    }
}
