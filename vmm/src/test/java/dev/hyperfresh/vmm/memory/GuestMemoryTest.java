package dev.hyperfresh.vmm.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
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
    void populatingTheTouchedPartsAllocatesNothingElseAndTellsProgressByTheChunk() {
        try (GuestMemory ram = GuestMemory.create("populated", 1L << 30, false)) {
            for (int i = 0; i < 100; i++) {
                ram.copyIn((10 + 2 * i) * P, new byte[] {1}, 0, 1);   // 100 parts within the first MiB
            }
            ram.copyIn(512L << 20, new byte[] {1}, 0, 1);
            List<Long> told = new ArrayList<>();

            ram.populate(ram.touched(), 1 << 20, told::add);

            assertThat(ram.touched()).hasSize(101);
            assertThat(told).as("one report per chunk reached, not per part; the whole size at the end")
                    .containsExactly((512L << 20) + P, 1L << 30);
        }
    }

    @Test
    void theChecksumIsOfAllTheRamAndReadsOnlyItsPages() {
        int size = 16 << 20;
        try (GuestMemory ram = GuestMemory.create("summed", size, false)) {
            ram.copyIn(5 * P + 3, new byte[] {7, 8}, 0, 2);
            byte[] whole = new byte[size];
            whole[(int) (5 * P + 3)] = 7;
            whole[(int) (5 * P + 4)] = 8;
            CRC32C expected = new CRC32C();
            expected.update(whole);

            assertThat(ram.crc32c()).isEqualTo(expected.getValue());
            assertThat(ram.touched()).as("no hole read into a page").containsExactly(new MemoryRegion(0, 5 * P, P, 5 * P));
        }
    }

    @Test
    void pagesDevicesWriteAreLoggedWhileDirtyLoggingIsOnByMemfdOffset() {
        try (GuestMemory ram = GuestMemory.create("device-writes", 4L << 30, false)) {
            ram.deviceWrote(P, 1);   // logging off: nothing kept
            ram.logDeviceWrites(true);
            ram.deviceWrote(2 * P + 100, P);   // straddles two pages
            ram.deviceWrote(MemoryLayout.HIGH_RAM_START + 5, 8);   // above the hole: memfd offset 3 GiB

            assertThat(ram.takeDeviceWrites()).containsExactly(new PageRun(2 * P, 2 * P),
                    new PageRun(MemoryLayout.LOW_RAM_LIMIT, P));
            assertThat(ram.takeDeviceWrites()).as("taken once").isEmpty();
            ram.write(5 * P - 2, new byte[4]);   // hfvisor's own write (an exception frame it delivers)
            ram.writeInt(7 * P, 1);
            assertThat(ram.takeDeviceWrites()).containsExactly(new PageRun(4 * P, 2 * P), new PageRun(7 * P, P));
            ram.logDeviceWrites(false);
            ram.deviceWrote(P, 1);
            assertThat(ram.takeDeviceWrites()).isEmpty();
        }
    }
}
