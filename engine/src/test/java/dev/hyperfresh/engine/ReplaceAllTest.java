package dev.hyperfresh.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.engine.EngineException.Kind;
import dev.hyperfresh.engine.ReplaceAllReport.QemuBinary;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.HostQemus;
import dev.hyperfresh.qemu.QemuInfo;
import dev.hyperfresh.vmm.BuildInfo;
import dev.hyperfresh.vmm.control.InstanceInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
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
        if (HostQemus.except(Set.of()).isEmpty()) {
            assertThatThrownBy(() -> engine.replaceAll(null, new QemuReplaceRequest(null, false, null, false, false),
                    null, Duration.ofSeconds(1), ProgressListener.NONE))
                    .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind())
                            .isEqualTo(Kind.PRECONDITION))
                    .hasMessage("no hfvisor instance or QEMU in " + dir + " to replace; `list` shows what runs");
        } else {   // the host's own QEMUs, each said to be left as it is
            assertThat(engine.checkAll(null, new QemuReplaceRequest(null, false, null, false, false), null)
                    .instances()).isNotEmpty().allMatch(i -> i.result() == ReplaceAllReport.Result.SKIPPED);
        }
        assertThatThrownBy(() -> engine.checkAll(null, new QemuReplaceRequest(null, false, null, false, false),
                dir.resolve("nowhere")))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind()).isEqualTo(Kind.USAGE))
                .hasMessage("--also-under takes a directory; " + dir.resolve("nowhere")
                        + ": no such file or directory");
    }

    /** The host's QEMUs outside the socket directory: taken under the directory named, otherwise said why not. */
    @Test
    void aQemuOutsideTheSocketDirectoryIsTakenOnlyUnderTheDirectoryNamed() throws IOException {
        Path sockets = Files.createDirectories(dir.resolve("run/vms"));
        Files.createSymbolicLink(dir.resolve("link"), dir.resolve("run"));
        long pid = ProcessHandle.current().pid();   // this JVM stands in for the QEMU: its program is named
        HostQemus.Found far = new HostQemus.Found(pid, "far", List.of(sockets.resolve("far.qmp")), false);
        assertThat(ReplaceAll.leftReason(far, dir.resolve("run").toRealPath())).isNull();
        assertThat(ReplaceAll.leftReason(new HostQemus.Found(pid, "far", List.of(dir.resolve("link/vms/far.qmp")),
                false), dir.resolve("run").toRealPath())).as("its socket named through a link").isNull();
        assertThat(ReplaceAll.leftReason(far, Path.of("/").toRealPath())).as("/: every one").isNull();
        assertThat(ReplaceAll.leftReason(far, null)).isEqualTo("runs "
                + Path.of(ProcessHandle.current().info().command().orElseThrow()).toRealPath()
                + ", outside the socket directory: `--also-under " + sockets + "` takes it too, or `replace qmp:"
                + sockets.resolve("far.qmp") + "` alone");
        assertThat(ReplaceAll.leftReason(far, dir.resolve("elsewhere"))).startsWith("runs ");
        assertThat(ReplaceAll.leftReason(new HostQemus.Found(pid, "", List.of(), false), dir))
                .isEqualTo("outside the socket directory, with no QMP socket a console could reach it by");
        assertThat(ReplaceAll.leftReason(new HostQemus.Found(pid, "web", List.of(sockets.resolve("web.qmp")), true),
                dir.toRealPath())).startsWith("libvirt runs it (move a libvirt domain by libvirt's own means");
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

    @Test
    void theQemuBinaryIsAskedItsVersionFirst() throws IOException {
        Path qemu = script("qemu-next", "echo 'QEMU emulator version 9.9.0 (Debian 1:9.9+dfsg-1)'; echo 'Copyright'");
        assertThat(ReplaceAll.qemuBinaryOf(qemu)).isEqualTo(new QemuBinary(qemu,
                "QEMU emulator version 9.9.0 (Debian 1:9.9+dfsg-1)"));
        assertThatThrownBy(() -> ReplaceAll.qemuBinaryOf(script("hfv", "echo 'hfvisor 9.9 (build next)'")))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind()).isEqualTo(Kind.PRECONDITION))
                .hasMessage(dir.resolve("hfv") + " does not say it is a QEMU: its --version printed no \"QEMU"
                        + " emulator version …\" (it printed: hfvisor 9.9 (build next)); no instance was touched");
        assertThatThrownBy(() -> ReplaceAll.buildOf(qemu)).as("a QEMU named where the hfvisor build goes")
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind()).isEqualTo(Kind.PRECONDITION))
                .hasMessage(qemu + " is a QEMU, not an hfvisor build: --all takes the new QEMU binary with"
                        + " --with-qemu; no instance was touched");
        assertThatThrownBy(() -> ReplaceAll.qemuBinaryOf(script("qemu-broken", "echo 'missing libfoo' >&2; exit 127")))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind()).isEqualTo(Kind.PRECONDITION))
                .hasMessage("the new QEMU does not start: `" + dir.resolve("qemu-broken") + " --version` exited with"
                        + " status 127: missing libfoo; no instance was touched");
    }

    /** This JVM stands in for a running QEMU: what matters is the file its process runs. */
    @Test
    void aQemuIsTakenUnlessItRunsTheVeryFileNamed() throws IOException {
        Path java = Path.of(ProcessHandle.current().info().command().orElseThrow());
        QemuVm running = new QemuVm("web", dir.resolve("web.qmp"), new QemuInfo(dir.resolve("web.qmp"),
                ProcessHandle.current().pid(), "", "running", true, "9.9", Accelerator.TCG, List.of(), List.of(),
                true, false), null, null, null, null);
        assertThat(ReplaceAll.skipReason(running, new QemuBinary(java, "v"))).isEqualTo("it already runs " + java);
        Path copy = Files.copy(java, dir.resolve("java"));
        assertThat(ReplaceAll.skipReason(running, new QemuBinary(copy, "v"))).as("another file, however alike")
                .isNull();
        assertThat(ReplaceAll.skipReason(new QemuVm("dead", dir.resolve("dead.qmp"), null, "connection refused",
                null, null, null), null)).isEqualTo("it does not answer: connection refused");
    }

    /** A QEMU libvirt runs is left to libvirt, never a failure that stops the host's upgrade. */
    @Test
    void aQemuLibvirtRunsIsSkipped() throws IOException {
        Path copy = Files.copy(Path.of(ProcessHandle.current().info().command().orElseThrow()), dir.resolve("java"));
        QemuVm libvirts = new QemuVm("web", dir.resolve("web.qmp"), new QemuInfo(dir.resolve("web.qmp"),
                ProcessHandle.current().pid(), "", "running", true, "9.9", Accelerator.TCG, List.of(), List.of(),
                true, true), null, null, null, null);
        assertThat(ReplaceAll.skipReason(libvirts, new QemuBinary(copy, "v"))).startsWith("libvirt runs it (move a"
                + " libvirt domain by libvirt's own means");
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
