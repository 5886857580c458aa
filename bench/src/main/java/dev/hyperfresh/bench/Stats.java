package dev.hyperfresh.bench;

import java.util.Arrays;

/**
 * Min, median, p99 and max of a sample: the one definition every bench prints. Nearest-rank percentiles, so every
 * figure is a value that was measured: the median is the lower of the middle two when n is even, p99 the
 * ceil(0.99 n)-th smallest value. All -1 (and n 0) for an empty sample.
 */
record Stats(long min, long median, long p99, long max, int n) {
    static Stats of(long[] values) {
        long[] v = values.clone();
        Arrays.sort(v);
        if (v.length == 0) {
            return new Stats(-1, -1, -1, -1, 0);
        }
        return new Stats(v[0], v[(v.length - 1) / 2], v[(int) Math.ceil(0.99 * v.length) - 1], v[v.length - 1],
                v.length);
    }
}
