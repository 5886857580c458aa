package dev.hyperfresh.sys;

import jnr.ffi.Pointer;

/**
 * CLOCK_MONOTONIC as the kernel reports it, so timestamps taken in two processes compare directly.
 * {@link System#nanoTime()} reads the same clock on Linux; this class exists to make that explicit and checkable.
 */
public final class MonotonicClock {
    private static final int CLOCK_MONOTONIC = 1;

    private MonotonicClock() {
    }

    public static long nanos() {
        Pointer ts = Sys.allocate(16);
        Sys.check(Sys.C.clock_gettime(CLOCK_MONOTONIC, ts), "clock_gettime(CLOCK_MONOTONIC)");
        return ts.getLong(0) * 1_000_000_000L + ts.getLong(8);
    }
}
