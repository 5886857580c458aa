package dev.hyperfresh.vmm.boot.linux;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LinuxGuestBuildTest {
    @Test
    void theDefaultsKeepAcpiOn() {
        assertThat(LinuxGuestBuild.CMDLINE).doesNotContain("acpi=off").contains("pci=off");
        assertThat(LinuxGuestBuild.CMDLINE_WITH_PCI).as("PCI through ACPI, as on any PC").doesNotContain("pci=")
                .doesNotContain("acpi=");
    }
}
