package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GuestWarningTest {
    @Test
    void linuxOnPvmIsWarnedAbout() {
        assertThat(GuestWarning.of("PVM", VmConfig.LINUX, "lin")).hasValueSatisfying(w -> assertThat(w)
                .startsWith("VM lin boots Linux on a PVM host").contains("emulated ring 0", "nothing in 4 minutes"));
    }

    @Test
    void hfguestOnPvmAndLinuxOnHardwareKvmAreNot() {
        assertThat(GuestWarning.of("PVM", VmConfig.HFGUEST, "g")).isEmpty();
        assertThat(GuestWarning.of("SVM", VmConfig.LINUX, "lin")).isEmpty();
        assertThat(GuestWarning.of(null, VmConfig.LINUX, "lin")).as("an hfvisor older than the kvm field").isEmpty();
    }
}
