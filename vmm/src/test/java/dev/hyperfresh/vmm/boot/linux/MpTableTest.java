package dev.hyperfresh.vmm.boot.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MpTableTest {
    private static final long AT = 0x9fc00;

    @Test
    void floatingPointerFindsTheConfigurationTableAndBothChecksumsHold() {
        ByteBuffer b = table(4);
        assertThat(ascii(b, 0, 4)).isEqualTo("_MP_");
        assertThat(Integer.toUnsignedLong(b.getInt(4))).isEqualTo(AT + 16);
        assertThat(b.get(8)).isEqualTo((byte) 1);
        assertThat(b.get(9)).isEqualTo((byte) 4);
        assertThat(b.get(11)).as("feature byte 1: 0 = a configuration table follows").isZero();
        assertThat(sum(b, 0, 16)).isZero();

        assertThat(ascii(b, 16, 4)).isEqualTo("PCMP");
        int length = b.getShort(16 + 4);
        assertThat(length).isEqualTo(b.capacity() - 16);
        assertThat(sum(b, 16, length)).isZero();
        assertThat(Integer.toUnsignedLong(b.getInt(16 + 36))).isEqualTo(0xfee00000L);
        assertThat(b.getShort(16 + 34)).isEqualTo((short) (4 + 1 + 1 + 16 + 2));
    }

    @Test
    void oneEnabledProcessorPerVcpuTheFirstOneBooting() {
        ByteBuffer b = table(3);
        for (int cpu = 0; cpu < 3; cpu++) {
            int e = 60 + cpu * 20;
            assertThat(b.get(e)).isEqualTo((byte) MpTable.PROCESSOR);
            assertThat(b.get(e + 1)).as("APIC id").isEqualTo((byte) cpu);
            assertThat(b.get(e + 3)).isEqualTo((byte) (cpu == 0 ? 3 : 1));
        }
    }

    @Test
    void isaBusIoapicAndIdentityRoutedIsaIrqs() {
        int vcpus = 2;
        ByteBuffer b = table(vcpus);
        int bus = 60 + vcpus * 20;
        assertThat(b.get(bus)).isEqualTo((byte) MpTable.BUS);
        assertThat(ascii(b, bus + 2, 6)).isEqualTo("ISA   ");
        int ioapic = bus + 8;
        assertThat(b.get(ioapic)).isEqualTo((byte) MpTable.IOAPIC);
        assertThat(b.get(ioapic + 1)).as("IOAPIC id after the last APIC id").isEqualTo((byte) vcpus);
        assertThat(b.get(ioapic + 3)).as("enabled").isEqualTo((byte) 1);
        assertThat(Integer.toUnsignedLong(b.getInt(ioapic + 4))).isEqualTo(0xfec00000L);
        for (int irq = 0; irq < 16; irq++) {
            int e = ioapic + 8 + irq * 8;
            assertThat(new byte[] {b.get(e), b.get(e + 1), b.get(e + 4), b.get(e + 5), b.get(e + 6), b.get(e + 7)})
                    .containsExactly(MpTable.IO_INTERRUPT, MpTable.INT, 0, irq, vcpus, irq);
        }
        int local = ioapic + 8 + 16 * 8;
        assertThat(new byte[] {b.get(local), b.get(local + 1), b.get(local + 6), b.get(local + 7)})
                .containsExactly(MpTable.LOCAL_INTERRUPT, MpTable.EXTINT, (byte) 0xff, 0);
        assertThat(new byte[] {b.get(local + 8), b.get(local + 9), b.get(local + 14), b.get(local + 15)})
                .containsExactly(MpTable.LOCAL_INTERRUPT, MpTable.NMI, (byte) 0xff, 1);
        assertThat(local + 16).isEqualTo(b.capacity());
    }

    @Test
    void aPciDeviceGetsBusZeroAndItsIntaRoutedToItsIoapicInputTheIsaBusMovingToOne() {
        int vcpus = 2;
        ByteBuffer b = ByteBuffer.wrap(MpTable.build(AT, vcpus, List.of(new MpTable.PciInterrupt(1, 16))))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(sum(b, 16, b.getShort(16 + 4))).isZero();
        assertThat(b.getShort(16 + 34)).isEqualTo((short) (vcpus + 2 + 1 + 16 + 1 + 2));
        int pci = 60 + vcpus * 20;
        assertThat(new byte[] {b.get(pci), b.get(pci + 1)}).containsExactly(MpTable.BUS, 0);
        assertThat(ascii(b, pci + 2, 6)).isEqualTo("PCI   ");
        assertThat(new byte[] {b.get(pci + 8), b.get(pci + 9)}).containsExactly(MpTable.BUS, 1);
        assertThat(ascii(b, pci + 10, 6)).isEqualTo("ISA   ");
        int firstIsa = pci + 24;
        assertThat(b.get(firstIsa + 4)).as("ISA interrupts on bus 1").isEqualTo((byte) 1);
        int inta = firstIsa + 16 * 8;
        assertThat(new byte[] {b.get(inta), b.get(inta + 1), b.get(inta + 2), b.get(inta + 4), b.get(inta + 5),
                b.get(inta + 6), b.get(inta + 7)})
                .as("INT, flags 0 (PCI's level/low), bus 0, slot 1 pin A, this IOAPIC, input 16")
                .containsExactly(MpTable.IO_INTERRUPT, MpTable.INT, 0, 0, 1 << 2, vcpus, 16);
        assertThat(MpTable.size(vcpus, List.of(new MpTable.PciInterrupt(1, 16)))).isEqualTo(b.capacity());
    }

    @Test
    void fitsTheReservedAreaBelowOneMibEvenWhenFull() {
        assertThat(AT + MpTable.size(MpTable.MAX_VCPUS)).isLessThan(1 << 20);
        assertThat(sum(table(MpTable.MAX_VCPUS), 16, MpTable.size(MpTable.MAX_VCPUS) - 16)).isZero();
    }

    @Test
    void refusesVcpuCountsItCannotDescribe() {
        assertThatThrownBy(() -> MpTable.build(AT, 0)).isInstanceOf(LinuxBootException.class);
        assertThatThrownBy(() -> MpTable.build(AT, 255)).isInstanceOf(LinuxBootException.class)
                .hasMessageContaining("254");
    }

    private static ByteBuffer table(int vcpus) {
        return ByteBuffer.wrap(MpTable.build(AT, vcpus)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String ascii(ByteBuffer b, int at, int length) {
        byte[] s = new byte[length];
        b.get(at, s);
        return new String(s, StandardCharsets.US_ASCII);
    }

    private static int sum(ByteBuffer b, int from, int length) {
        int s = 0;
        for (int i = from; i < from + length; i++) {
            s += b.get(i);
        }
        return s & 0xff;
    }
}
