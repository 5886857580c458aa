package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.sys.MonotonicClock;
import dev.hyperfresh.sys.RealtimePriority;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Where a VM's vCPU threads park between KVM_RUNs while the VM is paused, and how the pausing thread learns they
 * all have. It knows nothing of KVM (the caller kicks the threads out of KVM_RUN), so the cutover's thread hand-offs
 * can be measured without a KVM (bench's {@code CutoverBench}). The pausing side sleeps rather than spins: at the
 * real-time priority a cutover runs at it wakes at once, and a spinning thread would take a CPU from the very vCPU
 * threads it waits for.
 */
public final class VcpuGate {
    /** How long threads told to stand by spin for the resume before they wait for it as usual. */
    private static final long STAND_BY_NANOS = 3_000_000;
    private static final long LOOK_EVERY_NANOS = 20_000;
    private final long standByNanos;
    private volatile boolean pauseRequested;
    private volatile boolean stopping;
    private boolean standingBy;
    private int parked;
    private int spinning;
    private int alive;
    private long lastParkNanos;
    /** Counts the times the VM raised its vCPU threads; each thread lowers itself once per count. */
    private final AtomicInteger raised = new AtomicInteger();
    /** Stamped without the gate's lock: a thread on its way back into the guest never waits for it there. */
    private final AtomicLong firstRunNanos = new AtomicLong();

    public VcpuGate() {
        this(STAND_BY_NANOS);
    }

    /** A gate whose threads stand by for {@code standByNanos} at most (tests: long enough to see them all spin). */
    VcpuGate(long standByNanos) {
        this.standByNanos = standByNanos;
    }

    /** Opens the gate for {@code vcpus} threads about to start, parked from the start when {@code paused}. */
    public synchronized void open(int vcpus, boolean paused) {
        alive = vcpus;
        pauseRequested = paused;
    }

    /** vCPU thread, between runs: parks while a pause is requested; false means the thread must end. */
    public boolean awaitRunnable() {
        boolean spin;
        synchronized (this) {
            if (!pauseRequested || stopping) {
                return !stopping;
            }
            parked++;
            lastParkNanos = Math.max(lastParkNanos, MonotonicClock.nanos());
            notifyAll();
            while (pauseRequested && !stopping && !standingBy) {
                waitOn();
            }
            spin = standingBy;
            spinning += spin ? 1 : 0;
        }
        if (spin) {
            // At the real-time priority a pause raised it to, a spinning thread would hold its CPU against the
            // very threads that restore the state it waits for (a cutover's take, a warm-up's). Once resumed it
            // keeps it (below).
            if (pauseRequested) {
                RealtimePriority.lowerCurrentThread();
            }
            spinWhilePaused();
        }
        synchronized (this) {
            spinning -= spin ? 1 : 0;
            while (pauseRequested && !stopping) {
                waitOn();
            }
            parked--;
        }
        // A thread raised to leave or re-enter promptly stays raised into the guest: dropped to normal scheduling
        // here, it was preempted on the spot by whatever else was runnable and the guest waited 1-5 ms for its
        // turn. The vCPU loop lowers it at its next exit ({@link #raisedSince}).
        firstRunNanos.compareAndSet(0, MonotonicClock.nanos());
        return !stopping;
    }

    /**
     * Wakes the parked threads so that they spin for the coming {@link #resume()} instead of sleeping through it:
     * a sleeping thread's wake-up costs 0.05-5 ms where an idle CPU must be woken first (a virtual host), paid
     * before the guest runs again. Called by a standby as it starts restoring, so the wake-up passes meanwhile.
     */
    public synchronized void standBy() {
        standingBy = true;
        notifyAll();
    }

    /** The VM raised its vCPU threads to real-time priority (to leave KVM_RUN, or to wake, promptly). */
    public void noteRaised() {
        raised.incrementAndGet();
    }

    /** Whether the threads were raised since {@code seen}, a value this returned before (0 at first). */
    public int raisedSince(int seen) {
        int now = raised.get();
        return now == seen ? -1 : now;
    }

    /** Whether a pause is asked for: a thread raised to park promptly keeps its priority until it has. */
    public boolean pausing() {
        return pauseRequested;
    }

    /** Whether every thread spins for the resume ({@link #standBy()}) rather than sleeps. */
    public synchronized boolean allSpinning() {
        return spinning == alive;
    }

    private void spinWhilePaused() {
        long until = System.nanoTime() + standByNanos;
        while (pauseRequested && !stopping && System.nanoTime() < until) {
            Thread.onSpinWait();
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
        standingBy = false;
        lastParkNanos = 0;
    }

    /** Waits until every thread asked to park is parked; true if they are, false if the VM stopped meanwhile. */
    public synchronized boolean awaitParked() {
        while (pauseRequested && parked < alive && !stopping) {
            waitOn();
        }
        return pauseRequested && !stopping;
    }

    /**
     * As {@link #awaitParked()} for {@code nanos} at most: true once every thread asked to park is parked (or the
     * pause was withdrawn, or the VM stopped), false if some are still out.
     */
    public synchronized boolean awaitParked(long nanos) {
        long deadline = System.nanoTime() + nanos;
        for (long left = nanos; pauseRequested && parked < alive && !stopping; left = deadline - System.nanoTime()) {
            if (left <= 0) {
                return false;
            }
            waitOn(left);
        }
        return true;
    }

    /** How many live threads are not parked. */
    public synchronized int unparked() {
        return alive - parked;
    }

    /** Lets every parked thread run again. */
    public synchronized void resume() {
        pauseRequested = false;
        standingBy = false;
        firstRunNanos.set(0);
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

    /**
     * Waits until a thread is about to run after the latest resume; that CLOCK_MONOTONIC time, or 0 on time-out. It
     * looks every 20 µs instead of waiting on the gate's lock, which the threads going back into the guest would then
     * have to take to wake it (a contended lock parks a thread, and its CPU may go idle: 1-3 ms to wake on a
     * virtual host, seen as late first runs).
     */
    public long awaitFirstRunNanos(long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        long ran;
        while ((ran = firstRunNanos.get()) == 0 && !stopping && System.nanoTime() < deadline) {
            LockSupport.parkNanos(LOOK_EVERY_NANOS);
        }
        return ran;
    }

    private void waitOn() {
        waitOn(0);
    }

    /** Waits on the gate for {@code nanos} at most (0: until notified). */
    private void waitOn(long nanos) {
        try {
            wait(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for vCPUs", e);
        }
    }
}
