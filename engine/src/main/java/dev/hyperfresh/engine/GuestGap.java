package dev.hyperfresh.engine;

import java.util.List;
import java.util.Objects;

/**
 * One VM's view of the last cutover: the largest pause its guest observed in a window right after it
 * ({@code guestGapUs}) and in a control window of the same guest time right before it, on the old instance
 * ({@code controlGapUs}); null where a window could not be measured, {@code note} saying why
 * (dev.hyperfresh.vmm.heartbeat.CutoverGap has the definition).
 */
public record GuestGap(String vm, Long guestGapUs, Long controlGapUs, String note) {
    /** The largest of the VMs' guest gaps, or null when there is none or one of them is unmeasured. */
    public static Long maxGuestGapUs(List<GuestGap> gaps) {
        return max(gaps.stream().map(GuestGap::guestGapUs).toList());
    }

    public static Long maxControlGapUs(List<GuestGap> gaps) {
        return max(gaps.stream().map(GuestGap::controlGapUs).toList());
    }

    private static Long max(List<Long> values) {
        return values.isEmpty() || values.stream().anyMatch(Objects::isNull) ? null
                : values.stream().mapToLong(Long::longValue).max().getAsLong();
    }
}
