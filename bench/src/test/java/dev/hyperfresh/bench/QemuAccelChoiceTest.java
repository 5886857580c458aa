package dev.hyperfresh.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.qemu.Accelerator;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QemuAccelChoiceTest {
    private static final Optional<String> NO_KVM = Optional.of("no KVM device node");

    @Test
    void kvmWhenUsable() {
        QemuAccelChoice c = QemuAccelChoice.choose(null, Optional.empty(), "VMX");
        assertThat(c.accelerator()).isEqualTo(Accelerator.KVM);
        assertThat(c.rowLabel()).isEqualTo("kvm: VMX");
    }

    @Test
    void withoutKvmRefusesUnlessTcgIsAskedFor() {
        assertThatThrownBy(() -> QemuAccelChoice.choose(null, NO_KVM, "unknown KVM"))
                .hasMessageContaining("no KVM device node").hasMessageContaining("--qemu-accel tcg");
        assertThatThrownBy(() -> QemuAccelChoice.choose(Accelerator.KVM, NO_KVM, "unknown KVM"))
                .hasMessageContaining("no KVM device node");
    }

    @Test
    void tcgRowsSayTheirFiguresAreMeaningless() {
        for (Optional<String> kvm : java.util.List.of(NO_KVM, Optional.<String>empty())) {
            QemuAccelChoice c = QemuAccelChoice.choose(Accelerator.TCG, kvm, "VMX");
            assertThat(c.accelerator()).isEqualTo(Accelerator.TCG);
            assertThat(c.rowLabel()).isEqualTo("tcg (emulated: figures meaningless)");
        }
    }
}
