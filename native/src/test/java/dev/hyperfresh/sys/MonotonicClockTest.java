package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import jnr.ffi.Pointer;
import org.junit.jupiter.api.Test;

class MonotonicClockTest {
    private static final int CLOCK_MONOTONIC = 1;

    @Test
    void readsTheKernelsMonotonicClock() {
        for (int i = 0; i < 100; i++) {
            long before = kernelMonotonicNanos();
            long read = MonotonicClock.nanos();
            long after = kernelMonotonicNanos();
            assertThat(read).isBetween(before, after);
        }
    }

    private static long kernelMonotonicNanos() {
        Pointer ts = Sys.allocate(16);
        Sys.check(Sys.C.clock_gettime(CLOCK_MONOTONIC, ts), "clock_gettime(CLOCK_MONOTONIC)");
        return ts.getLong(0) * 1_000_000_000L + ts.getLong(8);
    }
}
