package dev.hyperfresh.vmm.memory;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a replacement populates, pre-faults or copies of a VM's RAM: only the pages that exist. */
class GuestMemoryTest {
    private static final long P = PageRun.PAGE;

    @Test
    void touchedIsThePagesThatExistBySlotWithTheirGuestAddresses() {
        // 4 GiB: 3 GiB low, 1 GiB from 4 GiB up; untouched, the memfd holds no pages and this costs nothing
        try (GuestMemory ram = GuestMemory.create("touched", 4L << 30, false)) {
            assertThat(ram.touched()).isEmpty();

            ram.copyIn(P, new byte[] {1}, 0, 1);
            ram.copyIn(MemoryLayout.LOW_RAM_LIMIT - P, new byte[(int) (2 * P)], 0, (int) (2 * P));   // across slots

            assertThat(ram.touched()).containsExactly(
                    new MemoryRegion(0, P, P, P),
                    new MemoryRegion(0, MemoryLayout.LOW_RAM_LIMIT - P, P, MemoryLayout.LOW_RAM_LIMIT - P),
                    new MemoryRegion(1, MemoryLayout.HIGH_RAM_START, P, MemoryLayout.LOW_RAM_LIMIT));
            assertThat(ram.touchedPages()).containsExactly(new PageRun(P, P),
                    new PageRun(MemoryLayout.LOW_RAM_LIMIT - P, P), new PageRun(MemoryLayout.LOW_RAM_LIMIT, P));
        }
    }

    @Test
    void populatingTheTouchedPartsAllocatesNothingElse() {
        try (GuestMemory ram = GuestMemory.create("populated", 1L << 30, false)) {
            ram.copyIn(100 * P, new byte[] {1}, 0, 1);
            long[] reached = {0};

            ram.populate(ram.touched(), 1 << 20, done -> reached[0] = done);

            assertThat(ram.touched()).containsExactly(new MemoryRegion(0, 100 * P, P, 100 * P));
            assertThat(reached[0]).as("progress ends at the whole size").isEqualTo(1L << 30);
        }
    }
}
