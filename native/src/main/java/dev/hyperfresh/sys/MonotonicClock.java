package dev.hyperfresh.sys;

/**
 * CLOCK_MONOTONIC as the kernel reports it, so timestamps taken in two processes compare directly. On Linux
 * {@link System#nanoTime()} is clock_gettime(CLOCK_MONOTONIC) read through the vDSO, with no native call of ours and
 * nothing allocated, which the cutover's timestamps need (MonotonicClockTest checks it is the same clock).
 */
public final class MonotonicClock {
    private MonotonicClock() {
    }

    public static long nanos() {
        return System.nanoTime();
    }
}
