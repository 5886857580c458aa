package dev.hyperfresh.vmm.boot.linux;

import dev.hyperfresh.vmm.memory.MemoryLayout;
import java.util.ArrayList;
import java.util.List;

/** One BIOS e820 memory-map entry as the zero page carries it: 20 bytes, address, size, type. */
public record E820Entry(long address, long size, int type) {
    public static final int RAM = 1;
    public static final int RESERVED = 2;
    public static final int BYTES = 20;
    /** Where conventional memory ends on a PC: the last KiB below 640 KiB is the BIOS's extended data area. */
    public static final long EBDA_START = 0x9fc00;
    public static final long HIGH_MEMORY = 1L << 20;

    public long end() {
        return address + size;
    }

    /**
     * The map for {@code ramBytes} of guest RAM laid out by {@link MemoryLayout}: conventional memory, the
     * reserved EBDA/VGA/BIOS hole up to 1 MiB, RAM to the end of low RAM, and whatever lies above 4 GiB.
     */
    public static List<E820Entry> forRam(long ramBytes) {
        if (ramBytes <= HIGH_MEMORY) {
            throw new LinuxBootException("a Linux guest needs more than 1 MiB of RAM, got " + ramBytes + " bytes");
        }
        List<E820Entry> map = new ArrayList<>();
        map.add(new E820Entry(0, EBDA_START, RAM));
        map.add(new E820Entry(EBDA_START, HIGH_MEMORY - EBDA_START, RESERVED));
        long low = Math.min(ramBytes, MemoryLayout.LOW_RAM_LIMIT);
        map.add(new E820Entry(HIGH_MEMORY, low - HIGH_MEMORY, RAM));
        if (ramBytes > MemoryLayout.LOW_RAM_LIMIT) {
            map.add(new E820Entry(MemoryLayout.HIGH_RAM_START, ramBytes - MemoryLayout.LOW_RAM_LIMIT, RAM));
        }
        return List.copyOf(map);
    }
}
