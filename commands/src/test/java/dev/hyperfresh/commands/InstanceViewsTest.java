package dev.hyperfresh.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.engine.Instance;
import dev.hyperfresh.vmm.control.InstanceInfo;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How an hfvisor instance's KVM, and what it implies for its guests, reaches the operator. */
class InstanceViewsTest {
    private static Instance instance(String kvm, String guestKind) {
        return Instance.answering(Path.of("/run/hf/lx.sock"), new InstanceInfo("lx", 42, "0.1", "b", kvm, 1000,
                "running", InstanceInfo.ACTIVE, List.of(new InstanceInfo.Vm("vm0", 1, 256L << 20, "running",
                guestKind)), null));
    }

    @Test
    void infoJsonAndTextNameTheKvm() {
        ObjectNode json = Views.instanceJson(instance("PVM", "hfguest"));
        assertThat(json.path("kvm").asText()).isEqualTo("PVM");
        assertThat(Views.info(instance("SVM", "hfguest"))).startsWith("lx: hfvisor 0.1 (build b), pid 42, active,"
                + " running, up 1s, KVM SVM\n").doesNotContain("warning");
    }

    @Test
    void linuxOnPvmIsWarnedAboutAgainFromInfo() {
        assertThat(Views.info(instance("PVM", "linux"))).contains("\nwarning: VM vm0 boots Linux on a PVM host");
    }

    @Test
    void anUnreachableInstanceIsNeitherStaleNorAnsweringInJson() {
        ObjectNode json = Views.instanceJson(Instance.unreachable("lx", Path.of("/run/hf/lx.sock"), 42,
                "hfvisor pid 42 holds the name but has no socket here"));

        assertThat(json.path("stale").asBoolean()).isFalse();
        assertThat(json.path("unreachable").asBoolean()).isTrue();
        assertThat(json.path("pid").asLong()).isEqualTo(42);
        assertThat(json.path("problem").asText()).startsWith("hfvisor pid 42");
        assertThat(Views.instanceJson(instance("PVM", "hfguest")).has("unreachable")).isFalse();
    }

    @Test
    void anInstanceOlderThanTheFieldShowsADash() {
        assertThat(Views.kvm(instance(null, "hfguest").info())).isEqualTo("-");
    }

    @Test
    void infoSaysWhatOfItsMemoryEachVmHasTouched() {
        Instance two = Instance.answering(Path.of("/run/hf/lx.sock"), new InstanceInfo("lx", 42, "0.1", "b", "PVM",
                1000, "running", InstanceInfo.ACTIVE, List.of(
                        new InstanceInfo.Vm("web", 1, 4L << 30, 560L << 20, "running", "hfguest", null, null, null,
                                InstanceInfo.Vm.REBOOT_RESTART, InstanceInfo.Vm.POWER_BUTTON_NONE),
                        new InstanceInfo.Vm("old", 1, 64L << 20, "running", "hfguest")), null));

        assertThat(Views.info(two)).contains("│web│running│1    │4 GiB │560 MiB │hfguest│")
                .contains("│old│running│1    │64 MiB│-       │hfguest│");
        assertThat(Views.instanceJson(two).path("vms").get(0).path("resident_bytes").asLong()).isEqualTo(560L << 20);
    }

    @Test
    void diskAndNetColumnsShowOnlyWhenAVmHasOne() {
        Instance two = Instance.answering(Path.of("/run/hf/lx.sock"), new InstanceInfo("lx", 42, "0.1", "b", "SVM",
                1000, "running", InstanceInfo.ACTIVE, List.of(
                        new InstanceInfo.Vm("db", 1, 1L << 30, null, "running", "linux", null,
                                List.of(new InstanceInfo.Disk("/srv/db.img", false),
                                        new InstanceInfo.Disk("/srv/base.img", true)),
                                List.of(new InstanceInfo.Nic("tap0", "52:54:00:12:34:56"),
                                        new InstanceInfo.Nic("tap1", "52:54:00:12:34:57", true)),
                                InstanceInfo.Vm.REBOOT_POWEROFF, InstanceInfo.Vm.POWER_BUTTON_LISTENING),
                        new InstanceInfo.Vm("web", 1, 64L << 20, "running", "linux")), null));

        assertThat(Views.info(two)).contains("DISK").contains("│/srv/db.img, /srv/base.img (read-only)│")
                .contains("NET").contains("│tap0 52:54:00:12:34:56, tap1 52:54:00:12:34:57 (tap gone)│").contains("│-");
        assertThat(Views.instanceJson(two).path("vms").get(0).path("disks").get(1).path("read_only").asBoolean())
                .isTrue();
        assertThat(Views.instanceJson(two).path("vms").get(0).path("nics").get(0).path("tap").asText())
                .isEqualTo("tap0");
        assertThat(Views.info(instance("SVM", "linux"))).doesNotContain("DISK").doesNotContain("NET");
    }
}
