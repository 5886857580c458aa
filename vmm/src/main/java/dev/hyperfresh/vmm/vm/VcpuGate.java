package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.sys.MonotonicClock;
import dev.hyperfresh.sys.RealtimePriority;
import java.util.function.IntConsumer;

/**
 * Where a VM's vCPU threads park between KVM_RUNs while the VM is paused, and how the pausing thread learns they
 * all have. It knows nothing of KVM (the caller kicks the threads out of KVM_RUN), so the cutover's thread hand-offs
 * can be measured without a KVM (bench's {@code CutoverBench}). The pausing side sleeps rather than spins: at the
 * real-time priority a cutover runs at it wakes at once, and a spinning thread would take a CPU from the very vCPU
 * threads it waits for.
 */
public final class VcpuGate {
    private boolean pauseRequested;
    private boolean stopping;
    private int parked;
    private int alive;
    private long lastParkNanos;
    private long firstRunNanos;
    private IntConsumer work;
    private long workRound;
    private int workLeft;
    private RuntimeException workFailure;

    /** Opens the gate for {@code vcpus} threads about to start, parked from the start when {@code paused}. */
    public synchronized void open(int vcpus, boolean paused) {
        alive = vcpus;
        pauseRequested = paused;
    }

    /**
     * vCPU thread {@code index}, between runs: parks while a pause is requested, running there what
     * {@link #onEachParked} hands it; false means the thread must end.
     */
    public boolean awaitRunnable(int index) {
        long seenRound;
        synchronized (this) {
            if (!pauseRequested || stopping) {
                return !stopping;
            }
            parked++;
            lastParkNanos = Math.max(lastParkNanos, MonotonicClock.nanos());
            notifyAll();
            seenRound = workRound;
        }
        while (true) {
            IntConsumer task;
            synchronized (this) {
                while (pauseRequested && !stopping && workRound == seenRound) {
                    waitOn();
                }
                if (!pauseRequested || stopping) {
                    return leavePark();
                }
                seenRound = workRound;
                task = work;
            }
            RuntimeException failed = null;
            try {
                task.accept(index);
            } catch (RuntimeException e) {
                failed = e;
            }
            synchronized (this) {
                workFailure = workFailure == null ? failed : workFailure;
                if (--workLeft == 0) {
                    notifyAll();
                }
            }
        }
    }

    private boolean leavePark() {
        parked--;
        RealtimePriority.lowerCurrentThread();   // raised to leave or re-enter promptly; guest code runs normally
        if (firstRunNanos == 0) {
            firstRunNanos = MonotonicClock.nanos();
            notifyAll();
        }
        return !stopping;
    }

    /**
     * Runs {@code task} with each vCPU's index on that vCPU's own parked thread, all at once, and {@code meanwhile}
     * on the calling thread; returns when all are done, rethrowing the first failure. A vCPU's ioctls then run in
     * parallel and on the thread (and CPU) that last ran it, which costs KVM less than loading it elsewhere.
     */
    public void onEachParked(IntConsumer task, Runnable meanwhile) {
        synchronized (this) {
            if (!pauseRequested || stopping || parked < alive || workLeft > 0) {
                throw new IllegalStateException("the vCPU threads are not all parked");
            }
            work = task;
            workLeft = alive;
            workFailure = null;
            workRound++;
            notifyAll();
        }
        meanwhile.run();
        synchronized (this) {
            while (workLeft > 0 && !stopping) {
                waitOn();
            }
            work = null;
            if (workFailure != null) {
                throw workFailure;
            }
            if (workLeft > 0) {
                throw new IllegalStateException("the VM stopped while its vCPU threads worked");
            }
        }
    }

    /** vCPU thread, as it ends. */
    public synchronized void gone() {
        alive--;
        notifyAll();
    }

    /** Asks every vCPU thread to park at its next return from KVM_RUN (the caller kicks them there). */
    public synchronized void requestPause() {
        pauseRequested = true;
        lastParkNanos = 0;
    }

    /** Waits until every thread asked to park is parked; true if they are, false if the VM stopped meanwhile. */
    public synchronized boolean awaitParked() {
        while (pauseRequested && parked < alive && !stopping) {
            waitOn();
        }
        return pauseRequested && !stopping;
    }

    /** Lets every parked thread run again. */
    public synchronized void resume() {
        pauseRequested = false;
        firstRunNanos = 0;
        notifyAll();
    }

    /** Ends every thread at its next return from KVM_RUN; false if that was asked already. */
    public synchronized boolean stop() {
        if (stopping) {
            return false;
        }
        stopping = true;
        notifyAll();
        return true;
    }

    /** CLOCK_MONOTONIC when the last vCPU parked for the latest pause: the guest's last instruction. */
    public synchronized long lastParkNanos() {
        return lastParkNanos;
    }

    /** Waits until a thread is about to run after the latest resume; that CLOCK_MONOTONIC time, or 0 on time-out. */
    public synchronized long awaitFirstRunNanos(long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (firstRunNanos == 0 && !stopping && System.nanoTime() < deadline) {
            try {
                wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return firstRunNanos;
    }

    private void waitOn() {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for vCPUs", e);
        }
    }
}
