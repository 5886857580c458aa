package dev.hyperfresh.bench;

import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The barest form of the pause's last hand-off: another thread stamps the time and sets a volatile flag, and the
 * measuring thread, spinning on the flag, sees it — what a vCPU thread parking in the gate and the cutover thread
 * spinning in {@code VcpuGate.awaitParked} do, without the gate. The writer is a normal thread, as vCPU threads are.
 */
final class FlagWriter implements AutoCloseable {
    private final Thread thread;
    private volatile boolean go;
    private volatile long wroteAt;
    private volatile boolean flag;
    private volatile boolean closed;

    FlagWriter() {
        thread = new Thread(this::run, "floor-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Wakes the writer and spins until its flag shows; returns how long after its stamp that was. */
    long measure() throws TimeoutException {
        flag = false;
        go = true;
        LockSupport.unpark(thread);
        long limit = System.nanoTime() + 1_000_000_000L;
        while (!flag) {
            if (System.nanoTime() > limit) {
                throw new TimeoutException("the floor's writer thread did not write within 1 s");
            }
            Thread.onSpinWait();
        }
        return System.nanoTime() - wroteAt;
    }

    private void run() {
        while (!closed) {
            if (!go) {
                LockSupport.park();
                continue;
            }
            go = false;
            wroteAt = System.nanoTime();
            flag = true;
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        LockSupport.unpark(thread);
        thread.join(5_000);
    }
}
