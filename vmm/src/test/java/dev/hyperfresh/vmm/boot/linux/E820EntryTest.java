package dev.hyperfresh.vmm.boot.linux;

import static dev.hyperfresh.vmm.boot.linux.E820Entry.RAM;
import static dev.hyperfresh.vmm.boot.linux.E820Entry.RESERVED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class E820EntryTest {
    private static final long MIB = 1L << 20, GIB = 1L << 30;

    @Test
    void smallVmHasConventionalMemoryAHoleAndRamFromOneMib() {
        assertThat(E820Entry.forRam(256 * MIB)).containsExactly(
                new E820Entry(0, 0x9fc00, RAM),
                new E820Entry(0x9fc00, MIB - 0x9fc00, RESERVED),
                new E820Entry(MIB, 255 * MIB, RAM));
    }

    @Test
    void ramAboveThreeGibAppearsFromFourGib() {
        assertThat(E820Entry.forRam(3 * GIB)).hasSize(3).last().isEqualTo(new E820Entry(MIB, 3 * GIB - MIB, RAM));
        assertThat(E820Entry.forRam(5 * GIB)).containsExactly(
                new E820Entry(0, 0x9fc00, RAM),
                new E820Entry(0x9fc00, MIB - 0x9fc00, RESERVED),
                new E820Entry(MIB, 3 * GIB - MIB, RAM),
                new E820Entry(4 * GIB, 2 * GIB, RAM));
    }

    @Test
    void refusesAVmWithoutHighMemory() {
        assertThatThrownBy(() -> E820Entry.forRam(MIB)).isInstanceOf(LinuxBootException.class);
    }
}
