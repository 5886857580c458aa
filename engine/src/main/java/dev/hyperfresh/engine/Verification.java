package dev.hyperfresh.engine;

import java.util.List;

/**
 * What the guests said about themselves in the verify window: heartbeats seen, per-cpu sequence gaps and
 * duplicates, the guest's own memory and canary error counts, TSC going backwards; and, when this verify follows a
 * cutover this engine watched, the largest pause the guests observed across it next to a control window without
 * one ({@link GuestGap}, per VM in {@code guestGaps}; {@code guestGapUs}/{@code controlGapUs} the largest over the
 * VMs, null when there is no cutover to report or a VM's window is unmeasured), with that cutover's blackout as the
 * hypervisor measured it ({@code cutoverBlackoutUs}, null without a cutover). {@code ok} when {@code problems} is
 * empty: an unmeasured gap is not a problem of the guest.
 */
public record Verification(int heartbeats, int cpus, long seqGaps, long seqDuplicates, long memoryErrors,
                           long canaryErrors, long tscBackwards, boolean ticksAdvancing, Long guestGapUs,
                           Long controlGapUs, Long cutoverBlackoutUs,
                           List<GuestGap> guestGaps, long windowMs, List<String> problems) {
    public Verification {
        guestGaps = List.copyOf(guestGaps);
        problems = List.copyOf(problems);
    }

    public boolean ok() {
        return problems.isEmpty();
    }
}
