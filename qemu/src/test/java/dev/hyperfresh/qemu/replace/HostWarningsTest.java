package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.kvm.KvmFlavor;
import dev.hyperfresh.qemu.Accelerator;
import org.junit.jupiter.api.Test;

class HostWarningsTest {
    @Test
    void onlyKvmOnPvmIsWarnedAbout() {
        assertThat(HostWarnings.warnings(Accelerator.KVM, KvmFlavor.PVM)).singleElement().asString()
                .contains("PVM").contains("ymm8-15");
        assertThat(HostWarnings.warnings(Accelerator.KVM, KvmFlavor.VMX)).isEmpty();
        assertThat(HostWarnings.warnings(Accelerator.KVM, KvmFlavor.SVM)).isEmpty();
        assertThat(HostWarnings.warnings(Accelerator.TCG, KvmFlavor.PVM)).isEmpty();
    }

    @Test
    void tcgNeverOpensKvm() {
        assertThat(HostWarnings.forReplacing(Accelerator.TCG)).isEmpty();
    }
}
