package dev.hyperfresh.bench;

import java.util.List;

/**
 * Some of the cutover's steps, timed with the project's own classes, each beside its floor: the barest mechanism
 * for the same job, timed in the same round ({@code bin/bench-cutover}, {@link CutoverBench}).
 */
interface CutoverProbe extends AutoCloseable {
    /**
     * One row of the table. {@code order} places it on the critical path (the order of {@code CutoverStep});
     * {@code inTotal} says whether its median counts in the total of the blackout path without KVM.
     */
    record Row(int order, String step, String floor, boolean inTotal) {
    }

    /** A floor that is not measured here but quoted, with where it was measured (its p99, 0 when unknown). */
    record QuotedFloor(long medianNanos, long p99Nanos, String source) {
    }

    List<Row> rows();

    /** One round: fills one sample per row (nanoseconds) into {@code real} and {@code floor}, in row order. */
    void round(long[] real, long[] floor) throws Exception;

    /** The floor of row {@code i} when it is quoted rather than measured; null when it is measured. */
    default QuotedFloor quoted(int i) {
        return null;
    }

    @Override
    void close() throws Exception;
}
