package dev.hyperfresh.vmm.memory;

import java.util.List;

/**
 * Where guest RAM appears in guest-physical space: the first {@link #LOW_RAM_LIMIT} bytes at 0, anything beyond
 * from 4 GiB up. The gap below 4 GiB is left for the LAPIC, IOAPIC and KVM's TSS/identity-map pages, as on PCs.
 */
public final class MemoryLayout {
    public static final long LOW_RAM_LIMIT = 3L << 30;
    public static final long HIGH_RAM_START = 4L << 30;
    public static final long TSS_ADDRESS = 0xfffbd000L;
    public static final long IDENTITY_MAP_ADDRESS = 0xfffbc000L;

    private MemoryLayout() {
    }

    public static List<MemoryRegion> forSize(long bytes) {
        if (bytes <= 0 || bytes % 4096 != 0) {
            throw new IllegalArgumentException("guest memory must be a positive multiple of 4 KiB, got " + bytes);
        }
        if (bytes <= LOW_RAM_LIMIT) {
            return List.of(new MemoryRegion(0, 0, bytes, 0));
        }
        return List.of(new MemoryRegion(0, 0, LOW_RAM_LIMIT, 0),
                new MemoryRegion(1, HIGH_RAM_START, bytes - LOW_RAM_LIMIT, LOW_RAM_LIMIT));
    }
}
