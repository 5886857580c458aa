package dev.hyperfresh.engine;

import java.util.List;

/**
 * What the guests said about themselves in the verify window: heartbeats seen, per-cpu sequence gaps and
 * duplicates, the guest's own memory and canary error counts, TSC going backwards, and the largest pause a guest
 * measured (TSC cycles). {@code ok} when {@code problems} is empty.
 */
public record Verification(int heartbeats, int cpus, long seqGaps, long seqDuplicates, long memoryErrors,
                           long canaryErrors, long tscBackwards, boolean ticksAdvancing, long guestPauseMaxCycles,
                           long windowMs, List<String> problems) {
    public Verification {
        problems = List.copyOf(problems);
    }

    public boolean ok() {
        return problems.isEmpty();
    }
}
