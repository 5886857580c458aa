package dev.hyperfresh.bench;

import java.util.Arrays;

/** Median, p99 and max of a sample (nearest-rank percentiles). */
record Stats(long median, long p99, long max, int n) {
    static Stats of(long[] values) {
        long[] v = values.clone();
        Arrays.sort(v);
        if (v.length == 0) {
            return new Stats(-1, -1, -1, 0);
        }
        return new Stats(v[(v.length - 1) / 2], v[(int) Math.ceil(0.99 * v.length) - 1], v[v.length - 1], v.length);
    }
}
