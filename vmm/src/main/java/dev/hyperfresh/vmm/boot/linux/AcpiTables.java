package dev.hyperfresh.vmm.boot.linux;

import dev.hyperfresh.vmm.devices.AcpiPm;
import dev.hyperfresh.vmm.memory.MemoryLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The ACPI tables of hfvisor's Linux machine: an RSDP where Linux scans the BIOS area for it, an XSDT naming a FADT
 * and a MADT, the FADT (ACPI 6.0) pointing at {@link AcpiPm}'s PM1 event and control blocks, its SCI and a
 * fixed-feature power button, a FACS, the MADT: the vCPUs' local APICs, the IOAPIC and the SCI's level trigger, as
 * the MP table has them (Linux without a MADT would forget the MP table and run on one CPU), and a DSDT: {@code \_S5_},
 * the soft-off sleep type, and, where the VM has PCI devices, the host bridge of bus 0 ({@code \_SB.PCI0}): the
 * configuration ports, the I/O and memory windows its devices' BARs lie in ({@link #PCI_MEMORY_MIN} to
 * {@link #PCI_MEMORY_MAX}, the gap below 4 GiB short of the IOAPIC and local APIC) and each slot's INTA# as the MP
 * table wires it ({@code _PRT}), so that Linux finds PCI through ACPI as on any PC.
 */
public final class AcpiTables {
    /** In the BIOS area Linux scans for the RSDP (0xe0000-0xfffff), which e820 reserves. */
    public static final long ADDRESS = 0xe0000;
    static final int RSDP_OFFSET = 0, XSDT_OFFSET = 0x40, FADT_OFFSET = 0x80, FACS_OFFSET = 0x200;
    static final int MADT_OFFSET = 0x240;
    static final int HEADER_BYTES = 36, RSDP_BYTES = 36, FADT_BYTES = 276, FACS_BYTES = 64;
    /** The PCI memory window: from the end of low RAM to just below the IOAPIC. */
    public static final long PCI_MEMORY_MIN = MemoryLayout.LOW_RAM_LIMIT, PCI_MEMORY_MAX = 0xfebf_ffffL;
    /** Configuration mechanism #1's ports, kept out of the I/O window the bridge passes on. */
    static final int PCI_CONFIG_PORT = 0xcf8, PCI_CONFIG_PORTS = 8;
    /** A {@code _PRT} entry's address: every function of the slot. */
    static final int ALL_FUNCTIONS = 0xffff;
    static final int FADT_REVISION = 6, XSDT_REVISION = 1, DSDT_REVISION = 2, FACS_VERSION = 2, MADT_REVISION = 5;
    static final int MADT_LOCAL_APIC = 0, MADT_IOAPIC = 1, MADT_OVERRIDE = 2, MADT_LAPIC_NMI = 4;
    static final int LOCAL_APIC_BYTES = 8, IOAPIC_BYTES = 12, OVERRIDE_BYTES = 10, LAPIC_NMI_BYTES = 6;
    /** MADT flags: the PC's two 8259s are there too (Linux masks them). */
    static final int MADT_PCAT_COMPAT = 1, LAPIC_ENABLED = 1;
    /** The SCI is level-triggered and active high (KVM's IOAPIC asserts a line at level 1, whatever its polarity). */
    static final int SCI_FLAGS = 1 | 3 << 2;
    static final int ALL_PROCESSORS = 0xff, LINT1 = 1;
    /** WBINVD works, C1 on every CPU; the sleep button is not a fixed feature (the power button is: bit 4 clear). */
    static final int FADT_WBINVD = 1, FADT_PROC_C1 = 1 << 2, FADT_SLP_BUTTON = 1 << 5;
    /** Legacy devices and an 8042: Linux then probes the PS/2 controller's ports, as it did without ACPI. */
    static final int BOOT_ARCH_LEGACY_DEVICES = 1, BOOT_ARCH_8042 = 2;
    /** C2 and C3 latencies above 100 and 1000 µs say the CPU has no such state. */
    static final int NO_C2 = 101, NO_C3 = 1001;
    private static final String OEM_ID = "HYPERF", OEM_TABLE_ID = "HFVISOR ", CREATOR_ID = "HFVR";

    private AcpiTables() {
    }

    /** How many bytes the tables of a machine with {@code vcpus} and {@code pci} devices take from {@link #ADDRESS}. */
    public static int size(int vcpus, List<MpTable.PciInterrupt> pci) {
        return dsdtOffset(vcpus) + HEADER_BYTES + dsdtAml(pci).length;
    }

    static int dsdtOffset(int vcpus) {
        return (MADT_OFFSET + madtBytes(vcpus) + 15) & ~15;
    }

    /** {@code \_S5_}, then the PCI host bridge where there are PCI devices. */
    static byte[] dsdtAml(List<MpTable.PciInterrupt> pci) {
        byte[] s5 = Aml.name("_S5_", Aml.pkg(Aml.integer(AcpiPm.SLP_TYP_S5), Aml.integer(AcpiPm.SLP_TYP_S5),
                Aml.integer(0), Aml.integer(0)));
        if (pci.isEmpty()) {
            return s5;
        }
        byte[] windows = Aml.resourceTemplate(
                Aml.wordWindow(Aml.SPACE_BUS, 0, 0),
                Aml.ioPorts(PCI_CONFIG_PORT, PCI_CONFIG_PORT, 1, PCI_CONFIG_PORTS),
                Aml.wordWindow(Aml.SPACE_IO, 0, PCI_CONFIG_PORT - 1),
                Aml.wordWindow(Aml.SPACE_IO, PCI_CONFIG_PORT + PCI_CONFIG_PORTS, 0xffff),
                Aml.dwordMemoryWindow(PCI_MEMORY_MIN, PCI_MEMORY_MAX));
        byte[][] routes = pci.stream().map(p -> Aml.pkg(Aml.integer((long) p.slot() << 16 | ALL_FUNCTIONS),
                Aml.integer(0), Aml.integer(0), Aml.integer(p.irq()))).toArray(byte[][]::new);
        return Aml.concat(s5, Aml.scope("_SB_", Aml.device("PCI0",
                Aml.name("_HID", Aml.eisaId("PNP0A03")),
                Aml.name("_UID", Aml.integer(0)),
                Aml.name("_CRS", windows),
                Aml.name("_PRT", Aml.pkg(routes)))));
    }

    private static int madtBytes(int vcpus) {
        return HEADER_BYTES + 8 + vcpus * LOCAL_APIC_BYTES + IOAPIC_BYTES + OVERRIDE_BYTES + LAPIC_NMI_BYTES;
    }

    /**
     * The tables as they must lie at {@link #ADDRESS}, for {@code vcpus} (1 to {@link MpTable#MAX_VCPUS}) and the
     * {@code pci} devices' interrupts as the MP table has them.
     */
    public static byte[] build(int vcpus, List<MpTable.PciInterrupt> pci) {
        if (vcpus < 1 || vcpus > MpTable.MAX_VCPUS) {
            throw new LinuxBootException("ACPI's MADT describes 1 to " + MpTable.MAX_VCPUS + " vCPUs here, not " + vcpus);
        }
        ByteBuffer b = ByteBuffer.allocate(size(vcpus, pci)).order(ByteOrder.LITTLE_ENDIAN);
        madt(b, vcpus);

        int dsdt = dsdtOffset(vcpus);
        byte[] aml = dsdtAml(pci);
        header(b, dsdt, "DSDT", HEADER_BYTES + aml.length, DSDT_REVISION);
        b.put(dsdt + HEADER_BYTES, aml);
        checksum(b, dsdt, HEADER_BYTES + aml.length, dsdt + 9);

        b.put(FACS_OFFSET, ascii("FACS")).putInt(FACS_OFFSET + 4, FACS_BYTES).put(FACS_OFFSET + 32, (byte) FACS_VERSION);

        int f = FADT_OFFSET;
        header(b, f, "FACP", FADT_BYTES, FADT_REVISION);
        b.putInt(f + 36, (int) (ADDRESS + FACS_OFFSET)).putInt(f + 40, (int) (ADDRESS + dsdt));
        b.putShort(f + 46, (short) AcpiPm.SCI_IRQ);
        // SMI_CMD 0: the machine is in ACPI mode from the start, nothing to switch.
        b.putInt(f + 56, AcpiPm.EVENT_BLOCK).putInt(f + 64, AcpiPm.CONTROL_BLOCK);
        b.put(f + 88, (byte) AcpiPm.EVENT_BLOCK_BYTES).put(f + 89, (byte) AcpiPm.CONTROL_BLOCK_BYTES);
        b.putShort(f + 96, (short) NO_C2).putShort(f + 98, (short) NO_C3);
        b.putShort(f + 109, (short) (BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_8042));
        b.putInt(f + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON);
        b.putLong(f + 132, ADDRESS + FACS_OFFSET).putLong(f + 140, ADDRESS + dsdt);
        // The X_ PM1 blocks stay zero: ACPICA then makes them from the 32-bit ports, as their widths must be.
        b.put(f + 268, ascii("HFVISOR "));
        checksum(b, f, FADT_BYTES, f + 9);

        header(b, XSDT_OFFSET, "XSDT", HEADER_BYTES + 16, XSDT_REVISION);
        b.putLong(XSDT_OFFSET + HEADER_BYTES, ADDRESS + FADT_OFFSET);
        b.putLong(XSDT_OFFSET + HEADER_BYTES + 8, ADDRESS + MADT_OFFSET);
        checksum(b, XSDT_OFFSET, HEADER_BYTES + 16, XSDT_OFFSET + 9);

        b.put(RSDP_OFFSET, ascii("RSD PTR ")).put(RSDP_OFFSET + 9, ascii(OEM_ID)).put(RSDP_OFFSET + 15, (byte) 2)
                .putInt(RSDP_OFFSET + 20, RSDP_BYTES).putLong(RSDP_OFFSET + 24, ADDRESS + XSDT_OFFSET);
        checksum(b, RSDP_OFFSET, 20, RSDP_OFFSET + 8);   // ACPI 1.0's part, then the whole
        checksum(b, RSDP_OFFSET, RSDP_BYTES, RSDP_OFFSET + 32);
        return b.array();
    }

    /** The local APIC ids and the IOAPIC's id as {@link MpTable} gives them. */
    private static void madt(ByteBuffer b, int vcpus) {
        int length = madtBytes(vcpus);
        header(b, MADT_OFFSET, "APIC", length, MADT_REVISION);
        b.position(MADT_OFFSET + HEADER_BYTES);
        b.putInt((int) MpTable.LAPIC_ADDRESS).putInt(MADT_PCAT_COMPAT);
        for (int cpu = 0; cpu < vcpus; cpu++) {
            b.put((byte) MADT_LOCAL_APIC).put((byte) LOCAL_APIC_BYTES).put((byte) cpu).put((byte) cpu)
                    .putInt(LAPIC_ENABLED);
        }
        b.put((byte) MADT_IOAPIC).put((byte) IOAPIC_BYTES).put((byte) vcpus).put((byte) 0)
                .putInt((int) MpTable.IOAPIC_ADDRESS).putInt(0);
        b.put((byte) MADT_OVERRIDE).put((byte) OVERRIDE_BYTES).put((byte) 0).put((byte) AcpiPm.SCI_IRQ)
                .putInt(AcpiPm.SCI_IRQ).putShort((short) SCI_FLAGS);
        b.put((byte) MADT_LAPIC_NMI).put((byte) LAPIC_NMI_BYTES).put((byte) ALL_PROCESSORS).putShort((short) 0)
                .put((byte) LINT1);
        checksum(b, MADT_OFFSET, length, MADT_OFFSET + 9);
    }

    private static void header(ByteBuffer b, int at, String signature, int length, int revision) {
        b.put(at, ascii(signature)).putInt(at + 4, length).put(at + 8, (byte) revision)
                .put(at + 10, ascii(OEM_ID)).put(at + 16, ascii(OEM_TABLE_ID)).putInt(at + 24, 1)
                .put(at + 28, ascii(CREATOR_ID)).putInt(at + 32, 1);
    }

    /** Sets the byte at {@code at} so that {@code length} bytes from {@code from} sum to 0 mod 256. */
    private static void checksum(ByteBuffer b, int from, int length, int at) {
        b.put(at, (byte) 0);
        int sum = 0;
        for (int i = from; i < from + length; i++) {
            sum += b.get(i);
        }
        b.put(at, (byte) -sum);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
