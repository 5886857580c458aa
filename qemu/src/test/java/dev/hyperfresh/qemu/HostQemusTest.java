package dev.hyperfresh.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.qemu.testing.RunningVm;
import dev.hyperfresh.qemu.testing.TestQemu;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's QEMUs found by their processes, on a real QEMU. */
class HostQemusTest {
    @TempDir
    Path dir;

    @Test
    void aRunningQemuIsFoundWithItsVmAndQmpSocketUnlessKnown() {
        try (RunningVm vm = RunningVm.start(TestQemu.vm(dir, "vm", Accelerator.TCG, true, "cpus=1"), dir,
                List.of("-name", "guest=probe"))) {
            long pid = vm.process().pid();
            assertThat(HostQemus.except(Set.of())).filteredOn(f -> f.pid() == pid).singleElement()
                    .satisfies(f -> {
                        assertThat(f.vmName()).isEqualTo("probe");
                        assertThat(f.qmpSockets()).containsExactly(dir.resolve("vm.qmp"));
                        assertThat(f.name()).hasValue("qmp:" + dir.resolve("vm.qmp"));
                        assertThat(f.runByLibvirt()).isFalse();
                    });
            assertThat(HostQemus.except(Set.of(pid))).noneMatch(f -> f.pid() == pid);
        } finally {
            TestQemu.killAllIn(dir);
        }
    }
}
