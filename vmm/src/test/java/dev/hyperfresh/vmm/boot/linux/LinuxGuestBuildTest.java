package dev.hyperfresh.vmm.boot.linux;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LinuxGuestBuildTest {
    @Test
    void pciDevicesNeedLinuxToTakePciFromTheMpTableNotFromAcpi() {
        assertThat(LinuxGuestBuild.pciObjection(LinuxGuestBuild.CMDLINE_WITH_PCI)).isNull();
        assertThat(LinuxGuestBuild.pciObjection("console=ttyS0 acpi=off")).isNull();
        assertThat(LinuxGuestBuild.pciObjection("console=ttyS0 pci=noacpi")).isNull();
        assertThat(LinuxGuestBuild.pciObjection("console=ttyS0 pci=conf1")).contains("needs pci=noacpi");
        assertThat(LinuxGuestBuild.pciObjection("console=ttyS0 acpi=offx pci=noacpix")).contains("needs pci=noacpi");
    }

    @Test
    void theDefaultsKeepAcpiOn() {
        assertThat(LinuxGuestBuild.CMDLINE).doesNotContain("acpi=off").contains("pci=off");
        assertThat(LinuxGuestBuild.CMDLINE_WITH_PCI).contains("pci=conf1,noacpi");
    }
}
