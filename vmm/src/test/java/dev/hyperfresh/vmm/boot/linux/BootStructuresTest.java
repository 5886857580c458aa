package dev.hyperfresh.vmm.boot.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.kvm.Segment;
import dev.hyperfresh.kvm.Sregs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Page tables, GDT and the long-mode special registers the loader hands the boot vCPU. */
class BootStructuresTest {
    @Test
    void pageTablesIdentityMapFourGibInTwoMibPages() {
        long base = 0x9000;
        ByteBuffer b = ByteBuffer.wrap(IdentityPageTables.build(base)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.capacity()).isEqualTo(6 * 4096);
        assertThat(b.getLong(0)).isEqualTo(0xa000 | 3);
        assertThat(b.getLong(8)).as("only the first 512 GiB slot").isZero();
        for (int gib = 0; gib < 4; gib++) {
            assertThat(b.getLong(4096 + gib * 8)).isEqualTo((0xb000 + gib * 4096L) | 3);
        }
        assertThat(b.getLong(4096 + 4 * 8)).isZero();
        for (long address = 0; address < (4L << 30); address += 2L << 20) {
            assertThat(b.getLong(2 * 4096 + (int) (address >> 21) * 8)).isEqualTo(address | 0x83);
        }
    }

    @Test
    void gdtHasBootCodeAndDataWhereTheBootProtocolWantsThem() {
        ByteBuffer b = ByteBuffer.wrap(BootGdt.build()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getLong(0)).isZero();
        assertThat(b.getLong(0x10)).isEqualTo(BootGdt.CODE64);
        assertThat(b.getLong(0x18)).isEqualTo(BootGdt.DATA);
        long code = BootGdt.CODE64;
        assertThat((code >> 53) & 1).as("L").isEqualTo(1);
        assertThat((code >> 54) & 1).as("D must be 0 with L").isZero();
        assertThat((code >> 40) & 0xff).as("present, ring 0, code execute/read").isEqualTo(0x9b);
    }

    @Test
    void sregsEnterLongModeOnTheseTables() {
        Sregs s = LinuxLoader.longMode(new Sregs(new byte[Sregs.SIZE]).withU64(Sregs.CR0, 0x60000010L));
        assertThat(s.segment(Sregs.CS)).isEqualTo(Segment.flat64Code(0x10));
        for (int seg : new int[] {Sregs.DS, Sregs.ES, Sregs.FS, Sregs.GS, Sregs.SS}) {
            assertThat(s.segment(seg)).isEqualTo(Segment.flatData(0x18));
        }
        assertThat(s.u64(Sregs.GDT)).isEqualTo(LinuxLoader.GDT_ADDRESS);
        assertThat(s.u32(Sregs.GDT + 8)).isEqualTo(BootGdt.SIZE - 1);
        assertThat(s.cr0()).as("PE|MP|ET|NE|PG, caches on").isEqualTo(0x80000033L);
        assertThat(s.cr3()).isEqualTo(LinuxLoader.PAGE_TABLES_ADDRESS);
        assertThat(s.cr4()).isEqualTo(0x20);
        assertThat(s.efer()).isEqualTo(0x500);
    }
}
