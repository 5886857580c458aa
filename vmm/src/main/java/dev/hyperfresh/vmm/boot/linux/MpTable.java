package dev.hyperfresh.vmm.boot.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * An Intel MultiProcessor Specification 1.4 table: how a kernel without ACPI learns the application processors,
 * the IOAPIC and how ISA interrupts reach it. Linux scans the last KiB below 640 KiB for the floating pointer,
 * so {@link #build} puts the pointer first and the configuration table right after it.
 */
public final class MpTable {
    public static final long IOAPIC_ADDRESS = 0xfec00000L;
    public static final long LAPIC_ADDRESS = 0xfee00000L;
    /** xAPIC ids are 8 bits, 0xff is broadcast, and the IOAPIC takes the id after the last vCPU. */
    public static final int MAX_VCPUS = 254;
    public static final int ISA_IRQS = 16;
    static final int POINTER_BYTES = 16;
    static final int HEADER_BYTES = 44;
    static final int PROCESSOR_BYTES = 20;
    static final int SMALL_ENTRY_BYTES = 8;
    static final int PROCESSOR = 0, BUS = 1, IOAPIC = 2, IO_INTERRUPT = 3, LOCAL_INTERRUPT = 4;
    static final int INT = 0, NMI = 1, EXTINT = 3;
    static final int CPU_ENABLED = 1, CPU_BOOT_PROCESSOR = 2;
    /** Linux matches an interrupt entry's source bus against the PCI bus number: PCI bus 0 is MP bus 0. */
    static final int PCI_BUS_ID = 0;
    private static final String PCI = "PCI   ", ISA = "ISA   ";
    private static final int SPEC_1_4 = 4;
    /** What KVM's in-kernel LAPIC and IOAPIC report in their version registers. */
    private static final int LAPIC_VERSION = 0x14, IOAPIC_VERSION = 0x11;
    /** Family 6; FPU and APIC feature bits: Linux only logs these. */
    private static final int CPU_SIGNATURE = 0x600, CPU_FEATURES = 0x201;
    private static final int ALL_LAPICS = 0xff;

    /** A PCI device's INTA# on bus 0, wired to IOAPIC input {@code irq} (level-triggered, active low, as PCI's). */
    public record PciInterrupt(int slot, int irq) {
    }

    private MpTable() {
    }

    public static int size(int vcpus) {
        return size(vcpus, List.of());
    }

    public static int size(int vcpus, List<PciInterrupt> pci) {
        return POINTER_BYTES + HEADER_BYTES + vcpus * PROCESSOR_BYTES
                + (2 + ISA_IRQS + 2 + (pci.isEmpty() ? 0 : 1 + pci.size())) * SMALL_ENTRY_BYTES;
    }

    /** The table as it must lie at guest-physical {@code address} (16-byte aligned, below 4 GiB). */
    public static byte[] build(long address, int vcpus) {
        return build(address, vcpus, List.of());
    }

    /** With PCI bus 0 and its devices' interrupts when {@code pci} names any (the ISA bus is then bus 1). */
    public static byte[] build(long address, int vcpus, List<PciInterrupt> pci) {
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw new LinuxBootException("an MP table describes 1 to " + MAX_VCPUS + " vCPUs, not " + vcpus);
        }
        if (address % 16 != 0 || address + size(vcpus, pci) > 0xffffffffL) {
            throw new IllegalArgumentException(String.format("MP table at 0x%x: must be 16-byte aligned below 4 GiB",
                    address));
        }
        ByteBuffer b = ByteBuffer.allocate(size(vcpus, pci)).order(ByteOrder.LITTLE_ENDIAN);
        int isaBus = pci.isEmpty() ? 0 : PCI_BUS_ID + 1;
        int ioapicId = vcpus;
        b.position(POINTER_BYTES + HEADER_BYTES);
        for (int cpu = 0; cpu < vcpus; cpu++) {
            b.put((byte) PROCESSOR).put((byte) cpu).put((byte) LAPIC_VERSION)
                    .put((byte) (CPU_ENABLED | (cpu == 0 ? CPU_BOOT_PROCESSOR : 0)))
                    .putInt(CPU_SIGNATURE).putInt(CPU_FEATURES).putLong(0);
        }
        if (!pci.isEmpty()) {
            b.put((byte) BUS).put((byte) PCI_BUS_ID).put(PCI.getBytes(StandardCharsets.US_ASCII));
        }
        b.put((byte) BUS).put((byte) isaBus).put(ISA.getBytes(StandardCharsets.US_ASCII));
        b.put((byte) IOAPIC).put((byte) ioapicId).put((byte) IOAPIC_VERSION).put((byte) 1)
                .putInt((int) IOAPIC_ADDRESS);
        // KVM routes GSI n to IOAPIC pin n for every ISA IRQ, the PIT's IRQ 0 included: no override at pin 2.
        for (int irq = 0; irq < ISA_IRQS; irq++) {
            interrupt(b, IO_INTERRUPT, INT, isaBus, irq, ioapicId, irq);
        }
        for (PciInterrupt p : pci) {   // source: slot in bits 2-6, INTA# as 0; flags 0: the bus's own (level, low)
            interrupt(b, IO_INTERRUPT, INT, PCI_BUS_ID, p.slot() << 2, ioapicId, p.irq());
        }
        interrupt(b, LOCAL_INTERRUPT, EXTINT, isaBus, 0, ALL_LAPICS, 0);
        interrupt(b, LOCAL_INTERRUPT, NMI, isaBus, 0, ALL_LAPICS, 1);
        int tableLength = b.position() - POINTER_BYTES;
        int entries = vcpus + 2 + ISA_IRQS + 2 + (pci.isEmpty() ? 0 : 1 + pci.size());

        b.position(POINTER_BYTES);
        b.put("PCMP".getBytes(StandardCharsets.US_ASCII)).putShort((short) tableLength).put((byte) SPEC_1_4)
                .put((byte) 0).put("HYPERFRS".getBytes(StandardCharsets.US_ASCII))
                .put("HFVISOR     ".getBytes(StandardCharsets.US_ASCII)).putInt(0).putShort((short) 0)
                .putShort((short) entries).putInt((int) LAPIC_ADDRESS).putShort((short) 0).put((byte) 0).put((byte) 0);
        b.put(POINTER_BYTES + 7, checksum(b.array(), POINTER_BYTES, tableLength));

        b.position(0);
        b.put("_MP_".getBytes(StandardCharsets.US_ASCII)).putInt((int) (address + POINTER_BYTES))
                .put((byte) 1).put((byte) SPEC_1_4).put((byte) 0).put(new byte[5]);
        b.put(10, checksum(b.array(), 0, POINTER_BYTES));
        return b.array();
    }

    private static void interrupt(ByteBuffer b, int entryType, int interruptType, int bus, int sourceIrq,
                                  int destination, int destinationPin) {
        b.put((byte) entryType).put((byte) interruptType).putShort((short) 0).put((byte) bus)
                .put((byte) sourceIrq).put((byte) destination).put((byte) destinationPin);
    }

    /** The byte that makes {@code length} bytes from {@code from} (with it in place of a zero) sum to 0 mod 256. */
    private static byte checksum(byte[] bytes, int from, int length) {
        int sum = 0;
        for (int i = from; i < from + length; i++) {
            sum += bytes[i];
        }
        return (byte) -sum;
    }
}
