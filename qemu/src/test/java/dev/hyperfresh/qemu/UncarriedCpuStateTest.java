package dev.hyperfresh.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.kvm.KvmFlavor;
import org.junit.jupiter.api.Test;

class UncarriedCpuStateTest {
    @Test
    void onlyAKvmModelWithoutXsaveOnAKvmThatLetsTheGuestUseItLosesState() {
        assertThat(UncarriedCpuState.of(Accelerator.KVM, false, KvmFlavor.PVM)).hasValueSatisfying(
                l -> assertThat(l).contains("no XSAVE", "PVM", "upper halves come back zero"));
        assertThat(UncarriedCpuState.of(Accelerator.KVM, true, KvmFlavor.PVM)).isEmpty();
        assertThat(UncarriedCpuState.of(Accelerator.KVM, false, KvmFlavor.VMX)).isEmpty();
        assertThat(UncarriedCpuState.of(Accelerator.KVM, false, KvmFlavor.SVM)).isEmpty();
        assertThat(UncarriedCpuState.of(Accelerator.KVM, false, KvmFlavor.UNKNOWN)).isEmpty();
        assertThat(UncarriedCpuState.of(Accelerator.TCG, false, KvmFlavor.PVM)).as("TCG holds the guest to its model")
                .isEmpty();
    }
}
