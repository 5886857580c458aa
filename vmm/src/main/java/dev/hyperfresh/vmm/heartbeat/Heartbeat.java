package dev.hyperfresh.vmm.heartbeat;

/** hfguest's per-vCPU heartbeat: progress counters and its own error counts (guests/hfguest/HEARTBEAT.md). */
public record Heartbeat(int cpu, long seq, long tsc, long ticks, long pagesPerSecond, long memoryErrors,
                        long canaryErrors, long gapCycles, long gapMaxCycles, long tscBackwards) {
}
