package dev.hyperfresh.vmm.boot.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.testkit.Prerequisite;
import dev.hyperfresh.vmm.devices.AcpiPm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcpiTablesTest {
    private static final int VCPUS = 3;
    private final ByteBuffer b = ByteBuffer.wrap(AcpiTables.build(VCPUS)).order(ByteOrder.LITTLE_ENDIAN);

    @Test
    void theRsdpLeadsThroughTheXsdtToTheFadtAndEveryChecksumHolds() {
        assertThat(ascii(0, 8)).isEqualTo("RSD PTR ");
        assertThat(AcpiTables.ADDRESS % 16).as("Linux scans 16-byte boundaries").isZero();
        assertThat(b.get(15)).as("revision 2: XSDT").isEqualTo((byte) 2);
        assertThat(sum(0, 20)).isZero();
        assertThat(sum(0, 36)).isZero();
        int xsdt = table(b.getLong(24), "XSDT");
        assertThat(b.getInt(xsdt + 4)).isEqualTo(52);
        table(b.getLong(xsdt + 44), "APIC");
        int fadt = table(b.getLong(xsdt + 36), "FACP");
        assertThat(table(b.getInt(fadt + 40), "DSDT")).isEqualTo(table(b.getLong(fadt + 140), "DSDT"));
        assertThat(ascii(offset(b.getInt(fadt + 36)), 4)).isEqualTo("FACS");
        assertThat(offset(b.getInt(fadt + 36)) % 64).as("a FACS is 64-byte aligned").isZero();
    }

    @Test
    void theFadtNamesThePowerManagementPortsTheSciAndAFixedPowerButton() {
        int fadt = AcpiTables.FADT_OFFSET;
        assertThat(b.getShort(fadt + 46)).isEqualTo((short) AcpiPm.SCI_IRQ);
        assertThat(b.getInt(fadt + 48)).as("no SMI command port: in ACPI mode from the start").isZero();
        assertThat(b.getInt(fadt + 56)).isEqualTo(AcpiPm.EVENT_BLOCK);
        assertThat(b.getInt(fadt + 64)).isEqualTo(AcpiPm.CONTROL_BLOCK);
        assertThat(b.get(fadt + 88)).isEqualTo((byte) 4);
        assertThat(b.get(fadt + 89)).isEqualTo((byte) 2);
        int flags = b.getInt(fadt + 112);
        assertThat(flags & (1 << 4)).as("PWR_BUTTON clear: the power button is a fixed feature").isZero();
        assertThat(flags & (1 << 20)).as("not hardware-reduced").isZero();
        assertThat(b.getShort(fadt + 109) & 2).as("an 8042").isEqualTo(2);
    }

    @Test
    void theMadtListsEachVcpusLocalApicTheIoapicAndTheScisLevelTrigger() {
        int madt = AcpiTables.MADT_OFFSET;
        assertThat(Integer.toUnsignedLong(b.getInt(madt + 36))).isEqualTo(MpTable.LAPIC_ADDRESS);
        int at = madt + 44;
        for (int cpu = 0; cpu < VCPUS; cpu++, at += 8) {
            assertThat(new byte[] {b.get(at), b.get(at + 1), b.get(at + 2), b.get(at + 3)})
                    .as("local APIC %d: type, length, processor uid, APIC id", cpu)
                    .containsExactly(0, 8, cpu, cpu);
            assertThat(b.getInt(at + 4)).as("enabled").isEqualTo(1);
        }
        assertThat(b.get(at)).isEqualTo((byte) 1);
        assertThat(b.get(at + 2)).as("the IOAPIC's id after the vCPUs', as in the MP table").isEqualTo((byte) VCPUS);
        assertThat(Integer.toUnsignedLong(b.getInt(at + 4))).isEqualTo(MpTable.IOAPIC_ADDRESS);
        at += 12;
        assertThat(b.get(at)).as("an interrupt source override").isEqualTo((byte) 2);
        assertThat(b.get(at + 3)).isEqualTo((byte) AcpiPm.SCI_IRQ);
        assertThat(b.getInt(at + 4)).isEqualTo(AcpiPm.SCI_IRQ);
        assertThat(b.getShort(at + 8)).as("active high, level-triggered").isEqualTo((short) 0xd);
        at += 10;
        assertThat(b.get(at)).as("NMI on every CPU's LINT1").isEqualTo((byte) 4);
        assertThat(at + 6).isEqualTo(madt + b.getInt(madt + 4)).isEqualTo(AcpiTables.size(VCPUS));
    }

    @Test
    void aMachineOfTooManyVcpusIsRefused() {
        assertThatThrownBy(() -> AcpiTables.build(MpTable.MAX_VCPUS + 1)).isInstanceOf(LinuxBootException.class);
        assertThat(AcpiTables.build(MpTable.MAX_VCPUS)).hasSize(AcpiTables.size(MpTable.MAX_VCPUS));
    }

    @Test
    void theDsdtNamesS5WithTheSleepTypeTheDeviceTakesForPowerOff() {
        int dsdt = AcpiTables.DSDT_OFFSET;
        byte[] aml = Arrays.copyOfRange(b.array(), dsdt + 36, dsdt + b.getInt(dsdt + 4));
        assertThat(new String(aml, 1, 4, StandardCharsets.US_ASCII)).isEqualTo("_S5_");
        assertThat(aml[9]).isEqualTo((byte) AcpiPm.SLP_TYP_S5);
        assertThat(aml[6]).as("the package's length counts itself and the rest").isEqualTo((byte) (aml.length - 6));
    }

    /** ACPICA's own disassembler, where acpica-tools is installed (bin/setup installs it): the DSDT reads back. */
    @Test
    void acpicasDisassemblerReadsTheDsdt(@TempDir Path dir) throws IOException, InterruptedException {
        Prerequisite.require(Files.isExecutable(Path.of("/usr/bin/iasl")) ? Optional.empty()
                : Optional.of("no /usr/bin/iasl: install acpica-tools (bin/setup does)"));
        int dsdt = AcpiTables.DSDT_OFFSET;
        Path file = Files.write(dir.resolve("dsdt.dat"), Arrays.copyOfRange(b.array(), dsdt,
                dsdt + b.getInt(dsdt + 4)));
        Process iasl = new ProcessBuilder("/usr/bin/iasl", "-d", file.toString()).directory(dir.toFile())
                .redirectErrorStream(true).start();
        String output = new String(iasl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(iasl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(iasl.exitValue()).as(output).isZero();
        assertThat(Files.readString(dir.resolve("dsdt.dsl"))).contains("Name (_S5, Package (0x04)")
                .contains("0x05, \n        0x05, \n        Zero, \n        Zero");
    }

    private int table(long address, String signature) {
        int at = offset(address);
        assertThat(ascii(at, 4)).isEqualTo(signature);
        assertThat(sum(at, b.getInt(at + 4))).as(signature + " checksum").isZero();
        return at;
    }

    private static int offset(long address) {
        assertThat(address).isBetween(AcpiTables.ADDRESS, AcpiTables.ADDRESS + AcpiTables.size(VCPUS) - 1);
        return (int) (address - AcpiTables.ADDRESS);
    }

    private String ascii(int at, int length) {
        return new String(b.array(), at, length, StandardCharsets.US_ASCII);
    }

    private int sum(int from, int length) {
        int s = 0;
        for (int i = from; i < from + length; i++) {
            s += b.get(i);
        }
        return s & 0xff;
    }
}
