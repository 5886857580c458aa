package dev.hyperfresh.vmm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.kvm.KvmFlavor;
import org.junit.jupiter.api.Test;

class HfguestCmdlineTest {
    @Test
    void hardwareKvmKeepsHfguestsOwnDefaults() {
        assertThat(HfguestCmdline.of(2, KvmFlavor.SVM, "")).isEqualTo("cpus=2 acpi=1");
        assertThat(HfguestCmdline.of(1, KvmFlavor.VMX, "  ")).isEqualTo("cpus=1 acpi=1");
    }

    @Test
    void pvmGetsA100HzTick() {
        assertThat(HfguestCmdline.of(2, KvmFlavor.PVM, "")).isEqualTo("cpus=2 acpi=1 tick_count=10000000");
    }

    @Test
    void theUsersWordsComeLastAndWinOverADefaultOfTheSameKey() {
        assertThat(HfguestCmdline.of(2, KvmFlavor.PVM, "cpus=1 mem_pct=10"))
                .isEqualTo("acpi=1 tick_count=10000000 cpus=1 mem_pct=10");
        assertThat(HfguestCmdline.of(2, KvmFlavor.PVM, "tick_count=1000000 hb_ms=200"))
                .isEqualTo("cpus=2 acpi=1 tick_count=1000000 hb_ms=200");
        assertThat(HfguestCmdline.of(2, KvmFlavor.SVM, "cpus=2 exit_after_ms=300 int3=vmm"))
                .isEqualTo("acpi=1 cpus=2 exit_after_ms=300 int3=vmm");
        assertThat(HfguestCmdline.of(1, KvmFlavor.SVM, "acpi=0")).as("a guest that does not listen")
                .isEqualTo("cpus=1 acpi=0");
    }

    @Test
    void aUserCmdlineWithoutCpusStillRunsEveryVcpu() {
        assertThat(HfguestCmdline.of(4, KvmFlavor.UNKNOWN, "mem_pct=5")).isEqualTo("cpus=4 acpi=1 mem_pct=5");
    }
}
