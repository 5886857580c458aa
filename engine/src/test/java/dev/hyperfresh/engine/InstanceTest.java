package dev.hyperfresh.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.vmm.control.InstanceInfo;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What an instance's info implies for its guests, decided here so that every view says the same. */
class InstanceTest {
    private static final Path SOCKET = Path.of("/run/hf/lx.sock");

    private static Instance instance(String kvm, String guestKind) {
        return Instance.answering(SOCKET, new InstanceInfo("lx", 42, "0.1", "b", kvm, 1000, "running",
                InstanceInfo.ACTIVE, List.of(new InstanceInfo.Vm("vm0", 1, 256L << 20, "running", guestKind)), null));
    }

    @Test
    void linuxOnPvmIsWarnedAboutAgainFromInfoAndNothingElseIs() {
        assertThat(instance("PVM", "linux").warnings()).singleElement().asString()
                .startsWith("VM vm0 boots Linux on a PVM host");
        assertThat(instance("VMX", "linux").warnings()).isEmpty();
        assertThat(instance("PVM", "hfguest").warnings()).isEmpty();
        assertThat(Instance.stale("lx", SOCKET, "stale socket").warnings()).isEmpty();
    }

    @Test
    void stoppingItsLastLiveVmEndsTheInstance() {
        Instance three = Instance.answering(SOCKET, new InstanceInfo("lx", 42, "0.1", "b", "PVM", 1000, "running",
                InstanceInfo.ACTIVE, List.of(new InstanceInfo.Vm("a", 1, 64L << 20, "stopped", "hfguest"),
                new InstanceInfo.Vm("b", 1, 64L << 20, "paused", "hfguest"),
                new InstanceInfo.Vm("c", 1, 64L << 20, "running", "hfguest")), null));
        assertThat(three.endsWithout("b")).as("c still runs").isFalse();
        assertThat(three.endsWithout("a")).isFalse();
        assertThat(instance("PVM", "hfguest").endsWithout("vm0")).isTrue();
        assertThat(two("stopped", "resetting").endsWithout("a")).as("b boots again").isFalse();
    }

    @Test
    void anActionOnEveryVmIsRefusedBeforehandUnlessEachIsInAStateItTakes() {
        Set<String> resettable = Set.of("running", "resetting");
        Instance pausedAndResetting = two("paused", "resetting");
        assertThatThrownBy(() -> pausedAndResetting.requireEach("a", "reset", Instance.unlessIn(resettable))).isInstanceOfSatisfying(
                EngineException.class, e -> assertThat(e.kind()).isEqualTo(EngineException.Kind.PRECONDITION))
                .hasMessage("cannot reset VM a of lx: it is paused");
        assertThatThrownBy(() -> pausedAndResetting.requireEach(null, "reset", Instance.unlessIn(resettable)))
                .hasMessage("cannot reset VM a of lx: it is paused");
        pausedAndResetting.requireEach("b", "reset", Instance.unlessIn(resettable));
        two("running", "running").requireEach(null, "reset", Instance.unlessIn(resettable));
        assertThatThrownBy(() -> two("running", "paused").requireEach(null, "resume", Instance.unlessIn(Set.of("paused"))))
                .hasMessage("cannot resume VM a of lx: it is running");
    }

    private static Instance two(String a, String b) {
        return Instance.answering(SOCKET, new InstanceInfo("lx", 42, "0.1", "b", "PVM", 1000, "running",
                InstanceInfo.ACTIVE, List.of(new InstanceInfo.Vm("a", 1, 64L << 20, a, "hfguest"),
                new InstanceInfo.Vm("b", 1, 64L << 20, b, "hfguest")), null));
    }
}
