package dev.hyperfresh.sys;

import jnr.ffi.Pointer;

/**
 * futex(2) on a 32-bit word in memory that several processes map (a shared memfd): one side sleeps until the word
 * changes, the other changes it and wakes the sleepers, with no descriptor passed between them and no CPU held.
 */
public final class Futex {
    private static final long SYS_FUTEX = 202;
    /** Not FUTEX_PRIVATE_FLAG: the word is shared between processes. */
    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    private static final int ETIMEDOUT = 110;

    private Futex() {
    }

    /**
     * Sleeps while the word at {@code word} holds {@code expected}, for {@code timeoutNanos} at most. Returns at once
     * if it holds something else; a wake-up, a time-out or a signal return too, so callers look at the word again.
     */
    public static void await(Pointer word, int expected, long timeoutNanos) {
        Pointer timeout = Sys.allocate(16);
        timeout.putLong(0, timeoutNanos / 1_000_000_000);
        timeout.putLong(8, timeoutNanos % 1_000_000_000);
        if (Sys.C.syscall(SYS_FUTEX, word, FUTEX_WAIT, expected, timeout) < 0) {
            int errno = Sys.errno();
            if (errno != Sys.EAGAIN && errno != ETIMEDOUT && errno != Sys.EINTR) {
                throw new SysException("futex(FUTEX_WAIT)", errno);
            }
        }
    }

    /** Wakes up to {@code count} sleepers on {@code word} (after the caller changed it); returns how many woke. */
    public static int wake(Pointer word, int count) {
        return (int) Sys.check(Sys.C.syscall(SYS_FUTEX, word, FUTEX_WAKE, count, null), "futex(FUTEX_WAKE)");
    }
}
