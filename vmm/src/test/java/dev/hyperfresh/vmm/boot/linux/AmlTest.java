package dev.hyperfresh.vmm.boot.linux;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** AML's encodings at their edges (ACPI 6.x, 20.2); iasl reads whole tables back in {@code AcpiTablesTest}. */
class AmlTest {
    @Test
    void aPackageLengthCountsItselfAndGrowsANibbleAndBytesAt64() {
        assertThat(Aml.pkgLength(62)).containsExactly(63);
        assertThat(Aml.pkgLength(63)).as("65 in all: lead 0x41 (one more byte, low nibble 1), then 0x04")
                .containsExactly(0x41, 0x04);
        assertThat(Aml.pkgLength(4093)).as("4095 in all").containsExactly(0x4f, 0xff);
        assertThat(Aml.pkgLength(4094)).as("4097 in all: a third byte").containsExactly(0x81, 0x00, 0x01);
    }

    @Test
    void integersTakeTheShortestForm() {
        assertThat(Aml.integer(0)).containsExactly(0x00);
        assertThat(Aml.integer(1)).containsExactly(0x01);
        assertThat(Aml.integer(0x10)).containsExactly(0x0a, 0x10);
        assertThat(Aml.integer(0x1ffff)).containsExactly(0x0c, 0xff, 0xff, 0x01, 0x00);
    }

    @Test
    void anEisaIdIsCompressedAsIaslDoes() {
        assertThat(Aml.eisaId("PNP0A03")).containsExactly(0x0c, 0x41, 0xd0, 0x0a, 0x03);
    }
}
