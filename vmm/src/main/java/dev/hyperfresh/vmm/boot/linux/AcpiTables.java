package dev.hyperfresh.vmm.boot.linux;

import dev.hyperfresh.vmm.devices.AcpiPm;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The ACPI tables of hfvisor's Linux machine, enough for a guest to power off and to hear the power button: an RSDP
 * where Linux scans the BIOS area for it, an XSDT naming a FADT and a MADT, the FADT (ACPI 6.0) pointing at
 * {@link AcpiPm}'s PM1 event and control blocks, its SCI and a fixed-feature power button, a FACS, a DSDT whose only
 * object is {@code \_S5_}, the soft-off sleep type, and the MADT: the vCPUs' local APICs, the IOAPIC and the SCI's
 * level trigger, as the MP table has them (Linux without a MADT would forget the MP table and run on one CPU). No PCI
 * host bridge: Linux finds PCI by configuration mechanism #1 and takes its interrupts from the MP table
 * ({@code pci=noacpi}, under which it reads only the MADT's local APICs).
 */
public final class AcpiTables {
    /** In the BIOS area Linux scans for the RSDP (0xe0000-0xfffff), which e820 reserves. */
    public static final long ADDRESS = 0xe0000;
    static final int RSDP_OFFSET = 0, XSDT_OFFSET = 0x40, FADT_OFFSET = 0x80, FACS_OFFSET = 0x200;
    static final int DSDT_OFFSET = 0x240, MADT_OFFSET = 0x280;
    static final int HEADER_BYTES = 36, RSDP_BYTES = 36, FADT_BYTES = 276, FACS_BYTES = 64;
    /** {@code Name (_S5, Package () {S5, S5, 0, 0})} in AML. */
    static final byte[] S5_AML = {0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
            0x0a, (byte) AcpiPm.SLP_TYP_S5, 0x0a, (byte) AcpiPm.SLP_TYP_S5, 0x00, 0x00};
    static final int DSDT_BYTES = HEADER_BYTES + S5_AML.length;
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

    /** How many bytes the tables of a machine with {@code vcpus} take from {@link #ADDRESS}. */
    public static int size(int vcpus) {
        return MADT_OFFSET + madtBytes(vcpus);
    }

    private static int madtBytes(int vcpus) {
        return HEADER_BYTES + 8 + vcpus * LOCAL_APIC_BYTES + IOAPIC_BYTES + OVERRIDE_BYTES + LAPIC_NMI_BYTES;
    }

    /** The tables as they must lie at {@link #ADDRESS}, for {@code vcpus} (1 to {@link MpTable#MAX_VCPUS}). */
    public static byte[] build(int vcpus) {
        if (vcpus < 1 || vcpus > MpTable.MAX_VCPUS) {
            throw new LinuxBootException("ACPI's MADT describes 1 to " + MpTable.MAX_VCPUS + " vCPUs here, not " + vcpus);
        }
        ByteBuffer b = ByteBuffer.allocate(size(vcpus)).order(ByteOrder.LITTLE_ENDIAN);
        madt(b, vcpus);

        header(b, DSDT_OFFSET, "DSDT", DSDT_BYTES, DSDT_REVISION);
        b.put(DSDT_OFFSET + HEADER_BYTES, S5_AML);
        checksum(b, DSDT_OFFSET, DSDT_BYTES, DSDT_OFFSET + 9);

        b.put(FACS_OFFSET, ascii("FACS")).putInt(FACS_OFFSET + 4, FACS_BYTES).put(FACS_OFFSET + 32, (byte) FACS_VERSION);

        int f = FADT_OFFSET;
        header(b, f, "FACP", FADT_BYTES, FADT_REVISION);
        b.putInt(f + 36, (int) (ADDRESS + FACS_OFFSET)).putInt(f + 40, (int) (ADDRESS + DSDT_OFFSET));
        b.putShort(f + 46, (short) AcpiPm.SCI_IRQ);
        // SMI_CMD 0: the machine is in ACPI mode from the start, nothing to switch.
        b.putInt(f + 56, AcpiPm.EVENT_BLOCK).putInt(f + 64, AcpiPm.CONTROL_BLOCK);
        b.put(f + 88, (byte) AcpiPm.EVENT_BLOCK_BYTES).put(f + 89, (byte) AcpiPm.CONTROL_BLOCK_BYTES);
        b.putShort(f + 96, (short) NO_C2).putShort(f + 98, (short) NO_C3);
        b.putShort(f + 109, (short) (BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_8042));
        b.putInt(f + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON);
        b.putLong(f + 132, ADDRESS + FACS_OFFSET).putLong(f + 140, ADDRESS + DSDT_OFFSET);
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
