package dev.hyperfresh.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hyperfresh.engine.ActiveInstanceStub;
import dev.hyperfresh.engine.Engine;
import dev.hyperfresh.engine.EngineConfig;
import dev.hyperfresh.engine.FakeStandbyMain;
import dev.hyperfresh.engine.HfvisorEngine;
import dev.hyperfresh.engine.QemuEngine;
import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.vmm.control.ControlServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.shell.test.ShellAssertions;
import org.springframework.shell.test.ShellTestClient;
import org.springframework.shell.test.ShellTestClient.NonInteractiveShellSession;
import org.springframework.shell.test.autoconfigure.ShellTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.annotation.DirtiesContext.ClassMode;

/**
 * Commands run through Spring Shell as `hyperfresh COMMAND` runs them, with the real engine: a stub instance "demo" answers info on a
 * real control socket, "ghost" is a stale socket, anything else is unknown. Nothing here needs KVM.
 */
@ShellTest(terminalWidth = 200, properties = {"spring.shell.command.script.enabled=false",
    "spring.shell.command.history.enabled=false"})
@DirtiesContext(classMode = ClassMode.AFTER_EACH_TEST_METHOD)
@Import({CommandRefusalsTest.Beans.class, InstanceCommands.class, VmCommands.class, ReplacementCommands.class,
    ConsoleCommand.class, ScriptCommand.class, ScriptRunner.class, PositionalWords.class, Session.class, ScreenRenderer.class, ErrorReporter.class,
    InstanceNames.class, VmNames.class, Targets.class, CommandLine.class, WholeWords.class})
class CommandRefusalsTest {
    static final Path DIR = tempDir();
    private static ControlServer stub;

    @Autowired
    ShellTestClient client;
    @Autowired
    ErrorReporter errors;
    @Autowired
    PositionalWords positional;

    @TestConfiguration
    static class Beans {
        @Bean
        EngineConfig config() {
            return new EngineConfig(DIR, DIR.resolve("no-hfvisor"), Duration.ofSeconds(60));
        }

        @Bean
        Engine engine(EngineConfig config) {
            return new HfvisorEngine(config);
        }

        @Bean
        QemuEngine qemu(EngineConfig config) {
            return new QemuEngine(config);
        }
    }

    @BeforeAll
    static void instances() throws IOException {
        stub = ActiveInstanceStub.serve(DIR, "demo");
        Files.createFile(DIR.resolve("ghost.sock"));
    }

    @AfterAll
    static void stop() {
        stub.close();
    }

    /** Runs {@code command} the way {@code hyperfresh COMMAND} does; a test terminal serves one such run. */
    private NonInteractiveShellSession run(String command) {
        return client.nonInterative(command.split(" ")).run();
    }

    private void refused(String command, int exitCode, String message) {
        long before = errors.failures();
        NonInteractiveShellSession s = run(command);
        await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> {
            ShellAssertions.assertThat(s.screen()).containsText(message);
            assertThat(errors.failures()).as(command).isGreaterThan(before);
        });
        assertThat(errors.lastExitCode()).as(command).isEqualTo(exitCode);
    }

    @Test
    void unknownInstance() {
        refused("replace nosuch --json", ExitCodes.PRECONDITION, "no instance named nosuch");
    }

    @Test
    void staleInstance() {
        refused("attach ghost", ExitCodes.PRECONDITION, "instance ghost does not answer");
    }

    @Test
    void replaceAllTakesNoInstanceAndNoAccelerator() {
        refused("replace demo --all", ExitCodes.USAGE, "--all replaces every instance of the socket directory; name"
                + " none (got demo), or replace demo alone without --all");
        refused("replace --all --accel tcg", ExitCodes.USAGE, "--accel checks the accelerator of the QEMU replaced"
                + " by its name; --all replaces each QEMU on the one it runs on");
        refused("replace demo --with-qemu /usr/bin/qemu-system-x86_64", ExitCodes.USAGE, "--with-qemu names the"
                + " QEMU binary for --all");
        Path qemu = QemuProcess.defaultBinary();   // the real one
        refused("replace --all --with " + qemu, ExitCodes.PRECONDITION, qemu + " is a QEMU, not an hfvisor build:"
                + " --all takes the new QEMU binary with --with-qemu; no instance was touched");
        refused("replace --all --with " + DIR.resolve("no-hfvisor"), ExitCodes.PRECONDITION, "cannot run `"
                + DIR.resolve("no-hfvisor") + " --version`");
    }

    @Test
    void remapWithoutStandby() {
        refused("remap demo", ExitCodes.PRECONDITION, "remap needs a standby: run `standby` first");
    }

    @Test
    void cutoverWithoutRemap() {
        refused("cutover demo", ExitCodes.PRECONDITION, "cutover needs a remapped standby");
    }

    @Test
    void badSize() {
        refused("launch --name x --mem lots", ExitCodes.USAGE, "not a size: 'lots'");
    }

    @Test
    void aVmSpecIsOneSpecCommasAndAll() {
        // Not split at its commas into specs of one key each ("two VMs are named vm0"): parsed whole, the bad key
        // is named in its own spec's words.
        refused("launch --name x --vm name=a,mem=32M,cpus=1,colour=red", ExitCodes.USAGE,
                "unknown --vm key 'colour'");
        refused("launch --name x --vm name=a,mem=32M,cpus=1 name=a,mem=32M,cpus=1", ExitCodes.USAGE,
                "two VMs are named a");
    }

    @Test
    void aValueTheVmSpecWouldMisreadIsRefused() {
        // once launched as a VM named "null", and as one named "x" with the launch's own cpus
        refused("launch --name x --vm-name \"\"", ExitCodes.USAGE, "--vm-name must not be empty");
        refused("launch --name x --vm-name x,cpus=9", ExitCodes.USAGE,
                "--vm-name cannot contain ',' (it separates the fields of hfvisor's --vm spec): 'x,cpus=9'");
    }

    @Test
    void aBadValueIsSaidAsWhatItsOptionTakesAndAVmsShapeIsCheckedBeforeAnythingStarts() {
        refused("launch --name x --guest windows", ExitCodes.USAGE, "'windows' is not one of: hfguest, linux");
        refused("launch --name x --mem 1K", ExitCodes.USAGE, "VM memory must be at least 16 MiB, got 1024 bytes");
        refused("launch --name x --cpus 0", ExitCodes.USAGE, "vCPUs must be 1..254, got 0");
        refused("launch --name x --cpus 300", ExitCodes.USAGE, "vCPUs must be 1..254, got 300");
        refused("launch --name x --cpus two", ExitCodes.USAGE, "'two' is not a whole number");
        refused("launch --name x --reboot sometimes", ExitCodes.USAGE, "'sometimes' is not one of: restart, poweroff");
        refused("replace demo --seconds abc", ExitCodes.USAGE, "'abc' is not a number");
        refused("replace demo --accept-cpu-state-loss", ExitCodes.USAGE,
                "--accept-cpu-state-loss is for QEMU instances; demo is not a QEMU (qmp:PATH, or NAME.qmp in the"
                        + " socket directory)");
        refused("replace nosuch --copy", ExitCodes.USAGE, "--copy is for QEMU instances; nosuch is not a QEMU");
        refused("replace demo --outside-service", ExitCodes.USAGE, "--outside-service is for QEMU instances; demo is"
                + " not a QEMU");
        refused("launch --name x --disk a,b.img", ExitCodes.USAGE, "--disk cannot contain ','");
        refused("launch --name x --guest linux --kernel /etc/hostname --disk /nonexistent.img", ExitCodes.USAGE,
                "disk file not readable: /nonexistent.img");
    }

    @Test
    void aCommandOnAQemuItCannotReachOrDoSaysWhy() {
        refused("stop qmp:/nonexistent.qmp", ExitCodes.PRECONDITION, "no QEMU answers on /nonexistent.qmp");
        refused("reset qmp:/nonexistent.qmp", ExitCodes.PRECONDITION, "no QEMU answers on /nonexistent.qmp");
        refused("shutdown qmp:/nonexistent.qmp", ExitCodes.PRECONDITION, "no QEMU answers on /nonexistent.qmp");
        refused("shutdown qmp:/nonexistent.qmp --vm web", ExitCodes.USAGE, "--vm names one VM of an hfvisor"
                + " instance; qmp:/nonexistent.qmp is a QEMU, which runs one: name none");
        refused("pause qmp:/nonexistent.qmp", ExitCodes.PRECONDITION, "no QEMU answers on /nonexistent.qmp");
        refused("resume qmp:/nonexistent.qmp --vm web", ExitCodes.USAGE, "--vm names one VM of an hfvisor"
                + " instance; qmp:/nonexistent.qmp is a QEMU, which runs one: name none");
        refused("cutover qmp:/nonexistent.qmp", ExitCodes.PRECONDITION,
                "cutover is not supported for QEMU instances (qmp:/nonexistent.qmp): use `replace`");
        refused("replace qmp:/nonexistent.qmp --seconds 3", ExitCodes.USAGE, "--seconds is for hfvisor instances (how"
                + " long verify watches); qmp:/nonexistent.qmp is a QEMU, whose replacement has no verify window");
    }

    @Test
    void consoleStopOrResetOfAVmTheInstanceDoesNotHave() {
        refused("console demo --vm nosuch --seconds 1", ExitCodes.PRECONDITION,
                "no VM named nosuch in instance demo (it has: web)");
        refused("stop demo --vm nosuch", ExitCodes.PRECONDITION, "no VM named nosuch in instance demo (it has: web)");
        refused("reset demo --vm nosuch", ExitCodes.PRECONDITION, "no VM named nosuch in instance demo (it has: web)");
        refused("resume demo", ExitCodes.PRECONDITION, "cannot resume VM web of demo: it is running");
        refused("shutdown demo", ExitCodes.PRECONDITION, "cannot shutdown VM web of demo: its machine has no ACPI"
                + " power button (hfguest's); `stop` powers it off");
        refused("shutdown demo --wait 0", ExitCodes.USAGE, "--wait takes a number of seconds above 0, got 0");
    }

    @Test
    void resetAndPauseSayWhichVmsTheyActedOn() {
        said("reset --vm web demo", "reset VM web of demo");
        said("reset demo", "reset every VM of demo");
        said("reset demo --vm web --json", "{\"outcome\":\"ok\",\"reset\":\"demo\",\"vm\":\"web\"}");
        said("pause demo --vm web", "paused VM web of demo");
        said("pause demo --json", "{\"outcome\":\"ok\",\"paused\":\"demo\",\"vm\":null}");
        assertThat(errors.failures()).isZero();
    }

    private void said(String command, String text) {
        NonInteractiveShellSession s = run(command);
        await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> ShellAssertions.assertThat(s.screen())
                .containsText(text));
    }

    @Test
    void anInstanceNamedAfterTheOptionsIsTheOneTheCommandRunsOn() {
        // Spring Shell alone dropped `web` after a valued option (the attached instance ran the command instead)
        assertThat(positional.first(List.of("console", "--seconds", "1", "web", "--json")))
                .containsExactly("console", "web", "--seconds", "1", "--json");
        assertThat(positional.first(List.of("stop", "--vm", "b", "--json", "web")))
                .containsExactly("stop", "web", "--vm", "b", "--json");
        assertThat(positional.first(List.of("replace", "--json", "true", "qmp:/run/a.qmp", "--accel", "tcg")))
                .containsExactly("replace", "qmp:/run/a.qmp", "--json", "true", "--accel", "tcg");
        assertThat(positional.first(List.of("launch", "--vm", "name=a,mem=32M", "name=b,mem=32M", "--name", "x")))
                .as("an option of many values takes them all").containsExactly("launch", "--vm", "name=a,mem=32M",
                        "name=b,mem=32M", "--name", "x");
        assertThat(positional.first(List.of("list", "--bogus", "x"))).as("the shell names the unknown option")
                .containsExactly("list", "--bogus", "x");
        assertThat(positional.first(List.of("nosuch", "--json", "x"))).containsExactly("nosuch", "--json", "x");
    }

    @Test
    void unknownOption() {
        refused("list --bogus", ExitCodes.USAGE, "--bogus");
    }

    @Test
    void listShowsAnsweringAndStaleInstances() {
        NonInteractiveShellSession s = run("list");
        await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> ShellAssertions.assertThat(s.screen())
                .containsText("demo").containsText("active").containsText("web (running, 1 vCPU, 128 MiB)")
                .containsText("ghost").containsText("stale socket"));
    }

    @Test
    void aScriptStopsAtItsFirstFailure() throws IOException {
        Path script = DIR.resolve("steps.hf");
        Files.writeString(script, "# check, then fail\nlist\ncutover demo\nlist\n");
        refused("script " + script, ExitCodes.PRECONDITION, "steps.hf:3: stopped at `cutover demo`");
    }

    @Test
    void aFailingJsonLineOfABatchPrintsItsOneObjectWithWhereTheVmsAre() throws IOException {
        Path script = DIR.resolve("json.hf");
        Files.writeString(script, "list --json\ncutover demo --json\n");
        refused("script " + script, ExitCodes.PRECONDITION, "{\"outcome\":\"refused\",\"reason\":\"cutover needs a"
                + " remapped standby: run `standby`, then `remap`\",\"vms_on\":{\"name\":\"demo\",\"pid\":"
                + ProcessHandle.current().pid() + "}}");
        Files.writeString(script, "info nosuch --json\n");
        refused("script " + script, ExitCodes.PRECONDITION, "{\"outcome\":\"refused\",\"reason\":\"no instance"
                + " named nosuch");
    }

    @Test
    void standbyRemapAndRollbackInABatch() throws IOException {
        Path fakeHfvisor = DIR.resolve("fake-hfvisor");
        Files.writeString(fakeHfvisor, "#!/bin/sh\nexec " + ProcessHandle.current().info().command().orElse("java")
                + " -cp '" + System.getProperty("java.class.path") + "' " + FakeStandbyMain.class.getName()
                + " \"$@\"\n");
        Files.setPosixFilePermissions(fakeHfvisor, PosixFilePermissions.fromString("rwx------"));
        Path script = DIR.resolve("rollback.hf");
        Files.writeString(script, "attach demo\nstandby --with " + fakeHfvisor + "\nremap --json\nrollback\n");
        long before = errors.failures();
        NonInteractiveShellSession s = run("script " + script);
        await().atMost(90, TimeUnit.SECONDS).untilAsserted(() -> ShellAssertions.assertThat(s.screen())
                .containsText("standby demo-next-1 (hfvisor 0.2.0-fake").containsText("\"bytes_copied\":0")
                .containsText("rolled back: the standby is gone, demo runs its VMs as before")
                .containsText("done"));
        assertThat(errors.failures()).isEqualTo(before);
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("hyperfresh-commands");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
