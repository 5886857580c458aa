package dev.hyperfresh.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuChainTest {
    @Test
    void qemuSharedAndItsReferenceTakeTurnsOnOneVmOfEachShape() {
        List<Scenario> scenarios = BenchArgs.parse("--backends", "hfvisor-remap,qemu-shared,qemu-own,qemu-copy",
                "--mem", "512M", "--cpus", "1,2").scenarios();
        assertThat(QemuChain.chainsOf(scenarios)).map(chain -> chain.stream().map(Scenario::label).toList())
                .containsExactly(
                        List.of("hfvisor-remap 512M 1vcpu 1vm busy"),
                        List.of("qemu-shared 512M 1vcpu 1vm busy", "qemu-own 512M 1vcpu 1vm busy"),
                        List.of("qemu-copy 512M 1vcpu 1vm busy"),   // private RAM: a VM of its own
                        List.of("hfvisor-remap 512M 2vcpu 1vm busy"),
                        List.of("qemu-shared 512M 2vcpu 1vm busy", "qemu-own 512M 2vcpu 1vm busy"),
                        List.of("qemu-copy 512M 2vcpu 1vm busy"));
    }

    @Test
    void scenariosOfDifferentVmsCannotTakeTurns() {
        List<Scenario> two = List.of(new Scenario(Backend.QEMU_SHARED, 512L << 20, 1, 1, true),
                new Scenario(Backend.QEMU_OWN, 512L << 20, 2, 1, true));
        assertThatThrownBy(() -> new QemuChain(Path.of("qemu"), Path.of("k"), Path.of("/tmp"), two, null, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same VM");
    }
}
