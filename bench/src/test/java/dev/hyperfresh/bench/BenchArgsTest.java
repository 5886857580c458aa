package dev.hyperfresh.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.qemu.Accelerator;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchArgsTest {
    @Test
    void defaultsAreOneBusyHfvisorRemapScenario() {
        BenchArgs a = BenchArgs.parse();
        assertThat(a.runs()).isEqualTo(20);
        assertThat(a.qemuAccel()).isNull();
        assertThat(a.anyQemu()).isFalse();
        assertThat(a.scenarios()).containsExactly(new Scenario(Backend.HFVISOR_REMAP, 256L << 20, 1, 1, true));
    }

    @Test
    void backendsAndSizes() {
        BenchArgs a = BenchArgs.parse("--backends", "qemu-shared,qemu-copy", "--qemu-accel", "tcg", "--runs", "3",
                "--mem", "256M,1G", "--cpus", "1", "--out", "/tmp/benchq", "--qemu-nics", "2");
        assertThat(a.backends()).containsExactly(Backend.QEMU_SHARED, Backend.QEMU_COPY);
        assertThat(a.qemuAccel()).isEqualTo(Accelerator.TCG);
        assertThat(a.qemuNics()).isEqualTo(2);
        assertThat(BenchArgs.parse().qemuNics()).isZero();
        assertThat(a.anyQemu()).isTrue();
        assertThat(a.out()).isEqualTo(Path.of("/tmp/benchq"));
        assertThat(a.scenarios()).extracting(Scenario::label).containsExactly("qemu-shared 256M 1vcpu 1vm busy",
                "qemu-copy 256M 1vcpu 1vm busy", "qemu-shared 1G 1vcpu 1vm busy", "qemu-copy 1G 1vcpu 1vm busy");
    }

    @Test
    void modesAreTheHfvisorBackends() {
        assertThat(BenchArgs.parse("--modes", "remap,copy").backends())
                .isEqualTo(BenchArgs.parse("--backends", "hfvisor-remap,hfvisor-copy").backends());
    }

    @Test
    void qemuRowsOnlyForOneVm() {
        List<Scenario> s = BenchArgs.parse("--backends", "hfvisor-remap,qemu-shared", "--vms", "1,2").scenarios();
        assertThat(s).extracting(Scenario::label).containsExactly("hfvisor-remap 256M 1vcpu 1vm busy",
                "qemu-shared 256M 1vcpu 1vm busy", "hfvisor-remap 256M 1vcpu 2vm busy");
    }

    @Test
    void everyBackendRunsTheSameGuest() {
        for (Backend b : Backend.values()) {
            assertThat(new Scenario(b, 1L << 30, 2, 1, true).guestArgs()).isEqualTo("cpus=2 mem_pct=60");
        }
    }

    @Test
    void sizesAreReadAsHfvisorReadsThem() {
        assertThat(BenchArgs.parse("--mem", "512m,1GiB,2048K").mems()).containsExactly(512L << 20, 1L << 30, 2L << 20);
    }

    @Test
    void rejectsWhatItDoesNotKnow() {
        assertThatThrownBy(() -> BenchArgs.parse("--backends", "qemu-remap")).hasMessageContaining("qemu-shared");
        assertThatThrownBy(() -> BenchArgs.parse("--modes", "shared")).hasMessageContaining("remap");
        assertThatThrownBy(() -> BenchArgs.parse("--qemu-accel", "hvf")).hasMessageContaining("kvm or tcg");
        assertThatThrownBy(() -> BenchArgs.parse("--mem", "256")).hasMessageContaining("whole MiB");
        assertThatThrownBy(() -> BenchArgs.parse("--mem", "1536K")).hasMessageContaining("whole MiB");
        assertThatThrownBy(() -> BenchArgs.parse("--mem", "lots")).hasMessageContaining("not a size: 'lots'");
        assertThatThrownBy(() -> BenchArgs.parse("--runs")).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> BenchArgs.parse("--frobnicate", "1")).hasMessageContaining("unknown option");
    }
}
