package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.kvm.KvmFlavor;
import org.junit.jupiter.api.Test;

class UncarriedCpuStateTest {
    @Test
    void onlyAModelWithoutXsaveOnAKvmThatLetsTheGuestUseItLosesState() {
        assertThat(UncarriedCpuState.find(false, KvmFlavor.PVM)).hasValueSatisfying(
                l -> assertThat(l).contains("no XSAVE", "PVM", "upper halves come back zero"));
        assertThat(UncarriedCpuState.find(true, KvmFlavor.PVM)).isEmpty();
        assertThat(UncarriedCpuState.find(false, KvmFlavor.VMX)).isEmpty();
        assertThat(UncarriedCpuState.find(false, KvmFlavor.SVM)).isEmpty();
        assertThat(UncarriedCpuState.find(false, KvmFlavor.UNKNOWN)).isEmpty();
    }
}
