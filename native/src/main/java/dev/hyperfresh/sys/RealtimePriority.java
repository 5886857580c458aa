package dev.hyperfresh.sys;

/**
 * Lifts the calling thread to a real-time scheduling class (SCHED_FIFO) for a few milliseconds and back. A thread
 * on a handover's critical path would otherwise wait for the scheduler to preempt busy vCPU threads (or anything
 * else on a loaded host) each time it wakes — milliseconds of blackout for microseconds of work. Needs
 * CAP_SYS_NICE or an RLIMIT_RTPRIO; without either, {@link #raise()} changes nothing and says so, never fails.
 */
public final class RealtimePriority implements AutoCloseable {
    private static final int SCHED_OTHER = 0;
    private static final int SCHED_FIFO = 1;
    /** Low among real-time priorities: above every normal thread, below the kernel's own (threaded IRQs run at 50). */
    private static final int PRIORITY = 10;
    private static final RealtimePriority UNCHANGED = new RealtimePriority(false);

    private final boolean raised;

    private RealtimePriority(boolean raised) {
        this.raised = raised;
    }

    /** Raises the calling thread; {@link #close()} (from the same thread) lowers it back to normal. */
    public static RealtimePriority raise() {
        if (Sys.C.sched_getscheduler(0) != SCHED_OTHER) {
            return UNCHANGED;   // already special (a nested raise, or the operator's own chrt): leave it be
        }
        return new RealtimePriority(set(0, SCHED_FIFO, PRIORITY));
    }

    /**
     * Raises another thread of this process (a vCPU thread about to be kicked or resumed) so it gets a CPU at once;
     * it lowers itself with {@link #lowerCurrentThread()} at its next exit from the guest. False where not allowed.
     */
    public static boolean raiseThread(int tid) {
        return Sys.C.sched_getscheduler(tid) == SCHED_OTHER && set(tid, SCHED_FIFO, PRIORITY);
    }

    /**
     * Back to normal scheduling if {@link #raiseThread} or {@link #raise()} raised the calling thread (a raise's
     * {@link #close()} later finds it lowered already); a no-op otherwise.
     */
    public static void lowerCurrentThread() {
        if (isRaised(0)) {
            set(0, SCHED_OTHER, 0);
        }
    }

    /** Whether {@link #raiseThread} raised thread {@code tid} (0: the caller) and it has not lowered itself since. */
    public static boolean isRaised(int tid) {
        if (Sys.C.sched_getscheduler(tid) != SCHED_FIFO) {
            return false;
        }
        int[] param = new int[1];
        return Sys.C.sched_getparam(tid, param) == 0 && param[0] == PRIORITY;
    }

    /** Whether the thread runs at real-time priority now (false where the process may not). */
    public boolean raised() {
        return raised;
    }

    /** {@code tid} 0: the calling thread. */
    private static boolean set(int tid, int policy, int priority) {
        return Sys.C.sched_setscheduler(tid, policy, new int[] {priority}) == 0;
    }

    @Override
    public void close() {
        if (raised && !set(0, SCHED_OTHER, 0)) {
            throw new SysException("sched_setscheduler(SCHED_OTHER)", Sys.errno());
        }
    }
}
