package dev.hyperfresh.vmm.devices.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.vmm.devices.pci.PciBus;
import dev.hyperfresh.vmm.memory.GuestMemory;

/**
 * A virtio device's driver as Linux's virtio_pci drives it — configuration cycles through 0xcf8/0xcfc, BAR sizing,
 * the modern common configuration, split queues in guest memory — for the device tests; queue {@code q}'s rings
 * lie at {@link #DESC} + {@code q} * {@link #RING_STRIDE} (and the avail and used rings after it).
 */
final class VirtioDriver {
    static final long BAR = 0xe0000000L, DESC = 0x10000, RING_STRIDE = 0x4000;
    static final int QUEUE = 32;

    private final GuestMemory memory;
    private PciBus pci;
    private final int slot;
    private VirtioPciDevice device;
    private final int[] availIdx = new int[4];

    VirtioDriver(GuestMemory memory, PciBus pci, int slot, VirtioPciDevice device) {
        this.memory = memory;
        this.pci = pci;
        this.slot = slot;
        this.device = device;
    }

    /** The driver goes on where it was with another device on another bus (a handover's new ones). */
    void use(PciBus nextBus, VirtioPciDevice next) {
        pci = nextBus;
        device = next;
    }

    /** Maps the BAR, negotiates {@code features} and sets up {@code queues} queues of {@link #QUEUE} entries. */
    void initialise(long features, int queues) {
        writeConfig(0x10, 4, (int) BAR);
        writeConfig(0x04, 2, 0x6);
        mmio(0x14, 1, 0);
        mmio(0x14, 1, 1 | 2);
        mmio(0x00, 4, 1);
        assertThat(mmio(0x04, 4)).as("VERSION_1").isEqualTo(1);
        mmio(0x00, 4, 0);
        long offered = mmio(0x04, 4) | (1L << 32);
        assertThat(offered & features).isEqualTo(features);
        mmio(0x08, 4, 0);
        mmio(0x0c, 4, features & 0xffffffffL);
        mmio(0x08, 4, 1);
        mmio(0x0c, 4, features >>> 32);
        mmio(0x14, 1, 1 | 2 | 8);
        assertThat(mmio(0x12, 2)).as("queues").isEqualTo(queues);
        for (int q = 0; q < queues; q++) {
            mmio(0x16, 2, q);
            assertThat(mmio(0x18, 2)).isEqualTo(256);
            mmio(0x18, 2, QUEUE);
            mmio(0x20, 4, 0xdead0000L);
            mmio(0x24, 4, 0x1);
            assertThat(mmio(0x20, 8)).as("one 8-byte read of both halves").isEqualTo(0x1dead0000L);
            mmio(0x20, 8, desc(q));   // and one 8-byte write
            mmio(0x28, 4, avail(q));
            mmio(0x2c, 4, 0);
            mmio(0x30, 4, used(q));
            mmio(0x34, 4, 0);
            mmio(0x1c, 2, 1);
        }
        mmio(0x14, 1, 1 | 2 | 8 | 4);
    }

    static long desc(int q) {
        return DESC + q * RING_STRIDE;
    }

    static long avail(int q) {
        return desc(q) + 0x1000;
    }

    static long used(int q) {
        return desc(q) + 0x2000;
    }

    void descriptor(int q, int i, long addr, int len, int flags, int next) {
        var d = memory.at(desc(q) + 16L * i, 16);
        d.putLong(0, addr);
        d.putInt(8, len);
        d.putShort(12, (short) flags);
        d.putShort(14, (short) (next % QUEUE));
    }

    void publish(int q, int head) {
        memory.at(avail(q) + 4 + 2L * (availIdx[q] % QUEUE), 2).putShort(0, (short) head);
        availIdx[q]++;
        memory.at(avail(q) + 2, 2).putShort(0, (short) availIdx[q]);
    }

    void notifyQueue(int q) {
        mmio(0x3000, 2, q);
    }

    int usedIdx(int q) {
        return memory.at(used(q) + 2, 2).getShort(0) & 0xffff;
    }

    int usedHead(int q, int i) {
        return memory.at(used(q) + 4 + 8L * (i % QUEUE), 4).getInt(0);
    }

    int usedLength(int q, int i) {
        return memory.at(used(q) + 4 + 8L * (i % QUEUE) + 4, 4).getInt(0);
    }

    int config(int inSlot, int offset, int size) {
        pci.write(PciBus.ADDRESS_PORT, 4, 0x80000000 | (inSlot << 11) | (offset & 0xfc));
        return pci.read(0xcfc + (offset & 3), size);
    }

    void writeConfig(int offset, int size, int value) {
        pci.write(PciBus.ADDRESS_PORT, 4, 0x80000000 | (slot << 11) | (offset & 0xfc));
        pci.write(0xcfc + (offset & 3), size, value);
    }

    long mmio(int offset, int size) {
        return device.read(BAR + offset, size);
    }

    void mmio(int offset, int size, long value) {
        device.write(BAR + offset, size, value);
    }
}
