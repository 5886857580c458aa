package dev.hyperfresh.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.engine.EngineException.Kind;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.vmm.BuildInfo;
import dev.hyperfresh.vmm.control.InstanceInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code replace --all}'s choices without KVM: which build a launcher is, and which instances it leaves alone. */
class ReplaceAllTest {
    private static final BuildInfo NEXT = new BuildInfo("9.9", "next");

    @TempDir
    Path dir;

    @Test
    void theLaunchersBuildIsWhatItsVersionSays() throws IOException {
        assertThat(ReplaceAll.buildOf(script("ok", "echo 'hfvisor 9.9 (build next)'; echo 'KVM: PVM (kvm_pvm)'")))
                .isEqualTo(NEXT);
    }

    @Test
    void aLauncherThatCannotSayItsBuildIsRefusedBeforeAnythingIsTouched() throws IOException {
        refused(script("fails", "echo 'Error: no JVM' >&2; exit 3"), "the new build does not start: `"
                + dir.resolve("fails") + " --version` exited with status 3: Error: no JVM; no instance was touched");
        refused(script("mute", "echo hello"), "cannot tell which build " + dir.resolve("mute") + " is: its --version"
                + " printed no \"hfvisor VERSION (build ID)\" (it printed: hello); no instance was touched");
        refused(dir.resolve("missing"), "cannot run `" + dir.resolve("missing") + " --version`:");
    }

    @Test
    void nothingToReplaceIsSaid() {
        HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, dir.resolve("hfvisor"), Duration.ofSeconds(5)));
        assertThatThrownBy(() -> engine.replaceAll(null, Duration.ofSeconds(1), ProgressListener.NONE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind()).isEqualTo(Kind.PRECONDITION))
                .hasMessage("no hfvisor instance in " + dir + " to replace; `list` shows what runs");
    }

    @Test
    void onlyAnsweringActiveInstancesOnAnotherBuildAreTaken() {
        assertThat(ReplaceAll.skipReason(instance("a", InstanceInfo.ACTIVE, "old"), NEXT)).isNull();
        assertThat(ReplaceAll.skipReason(instance("b", InstanceInfo.ACTIVE, "next"), NEXT))
                .isEqualTo("it already runs build next");
        assertThat(ReplaceAll.skipReason(instance("c", InstanceInfo.STANDBY, "next"), NEXT))
                .isEqualTo("it is a standby (of a replacement under way)");
        assertThat(ReplaceAll.skipReason(Instance.stale("d", dir.resolve("d.sock"), "stale socket"), NEXT))
                .isEqualTo("it does not answer: stale socket");
        BuildInfo unstamped = new BuildInfo("dev", "unknown");
        assertThat(ReplaceAll.skipReason(instance("e", InstanceInfo.ACTIVE, "unknown"), unstamped))
                .as("two unstamped builds cannot be told apart: replaced").isNull();
    }

    private Instance instance(String name, String role, String build) {
        return Instance.answering(dir.resolve(name + ".sock"), new InstanceInfo(name, 1, "9.9", build, "PVM", 0,
                "running", role, List.of(), null));
    }

    private void refused(Path launcher, String message) {
        assertThatThrownBy(() -> ReplaceAll.buildOf(launcher)).isInstanceOfSatisfying(EngineException.class,
                e -> assertThat(e.kind()).isEqualTo(Kind.PRECONDITION)).hasMessageStartingWith(message);
    }

    private Path script(String name, String body) throws IOException {
        Path script = dir.resolve(name);
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }
}
