package dev.hyperfresh.shell;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.launch.HfguestVm;
import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.qemu.testing.HeartbeatLog;
import dev.hyperfresh.qemu.testing.RunningVm;
import dev.hyperfresh.qemu.testing.TestQemu;
import dev.hyperfresh.sys.ProcStat;
import dev.hyperfresh.testkit.TestCgroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's QEMU session through bin/hyperfresh, on real QEMUs (TCG here, no KVM needed) running hfguest:
 * list, attach and info, a replacement with its JSON report and history, and the refusals with their exit codes.
 * hfguest's heartbeats are the oracle that the guest never noticed.
 */
class QemuFromTheShellTest {
    private static final String GUEST = "cpus=2 mem_pct=10 hb_ms=50";
    private static final Duration GUEST_PROGRESS = Duration.ofSeconds(30);
    private static final Duration RUN = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @AfterEach
    void killQemus() {
        TestQemu.killAllIn(dir);
    }

    private HyperfreshProcess.Result hyperfresh(String... args) throws IOException, InterruptedException {
        return HyperfreshProcess.run(dir, RUN, args);
    }

    /** One script, so one JVM start: each command's JSON is one line of its output, in order. */
    @Test
    void listAttachInfoReplaceAndHistoryThenAStepIsRefused() throws Exception {
        RunningVm web = RunningVm.start(TestQemu.vm(dir, "web", Accelerator.TCG, true, GUEST), dir);
        RunningVm.start(TestQemu.vm(dir, "private", Accelerator.TCG, false, GUEST), dir);
        HeartbeatLog log = new HeartbeatLog(web.spec().debugLog(), 2);
        log.awaitProgress(2, GUEST_PROGRESS);

        Path script = dir.resolve("session.hf");
        Files.writeString(script, String.join("\n", "list --json", "attach web", "info --json",
                "replace --check --with " + TestQemu.binary() + " --accel tcg --json",
                "replace --with " + TestQemu.binary() + " --accel tcg --json", "history --instance web --json",
                "standby", "list --json") + "\n");
        HyperfreshProcess.Result run = hyperfresh("--script", script.toString());
        assertThat(run.exitCode()).as(run.err()).isEqualTo(3);
        assertThat(run.err()).contains("standby is not supported for QEMU instances (web): use `replace`")
                .doesNotContain("Exception");
        assertThat(run.out()).contains("attached to web (unnamed VM (running, 2 vCPU, 128 MiB, tcg, shareable RAM yes))");
        List<JsonNode> json = new ArrayList<>();
        for (String line : run.out().lines().filter(l -> l.startsWith("{")).toList()) {
            json.add(JSON.readTree(line));
        }
        assertThat(json).as(run.out()).hasSize(5);

        List<JsonNode> instances = new ArrayList<>();
        json.get(0).path("instances").forEach(i -> {
            if (!i.path("elsewhere").asBoolean()) {   // the host's other QEMUs, not this test's socket directory's
                instances.add(i);
            }
        });
        assertThat(instances).extracting(i -> i.path("name").asText()).containsExactly("private", "web");
        assertThat(instances).allSatisfy(i -> {
            assertThat(i.path("kind").asText()).isEqualTo("qemu");
            assertThat(i.path("status").asText()).isEqualTo("running");
            assertThat(i.path("accelerator").asText()).isEqualTo("tcg");
            assertThat(i.path("vcpus").asInt()).isEqualTo(2);
            assertThat(i.path("memory_bytes").asLong()).isEqualTo(128L << 20);
        });
        assertThat(instances.get(0).path("shareable_ram").asBoolean()).isFalse();
        assertThat(instances.get(1).path("shareable_ram").asBoolean()).isTrue();
        assertThat(instances.get(1).path("pid").asLong()).isEqualTo(web.process().pid());

        JsonNode info = json.get(1);
        assertThat(info.path("status").asText()).isEqualTo("running");
        assertThat(info.path("memory").get(0).path("type").asText()).isEqualTo("memory-backend-memfd");

        JsonNode check = json.get(2);   // pre-flight alone: nothing started, the same QEMU replaced next
        assertThat(check.path("outcome").asText()).isEqualTo("ok");
        assertThat(check.path("mode").asText()).isEqualTo("shared");
        assertThat(check.path("command_line").get(0).asText()).isEqualTo(TestQemu.binary().toString());
        assertThat(check.path("handed_over")).isEmpty();

        JsonNode report = json.get(3);
        assertThat(report.path("outcome").asText()).isEqualTo("committed");
        assertThat(report.path("instance").asText()).isEqualTo("web");
        assertThat(report.path("mode").asText()).isEqualTo("shared");
        assertThat(report.path("before").path("pid").asLong()).isEqualTo(web.process().pid());
        long newPid = report.path("after").path("pid").asLong();
        assertThat(newPid).isNotEqualTo(web.process().pid());
        assertThat(report.path("after").path("status").asText()).isEqualTo("running");
        assertThat(report.path("blackout_us").asLong()).isPositive();
        assertThat(report.path("phases_us").fieldNames()).toIterable()
                .containsExactly("preflight", "standby", "migrating", "cutover");
        assertThat(report.path("trace_us").path("source-stop").asLong()).isZero();
        assertThat(report.path("trace_us").path("standby-resume").asLong()).isEqualTo(report.path("blackout_us").asLong());
        assertThat(report.path("trace_us").fieldNames()).toIterable().endsWith("source-killed", "sockets-moved",
                "returned");
        assertThat(web.process().process().waitFor(10, TimeUnit.SECONDS)).as("old QEMU gone").isTrue();

        assertThat(json.get(4).path("replacements")).singleElement().satisfies(e -> {
            assertThat(e.path("outcome").asText()).isEqualTo("committed");
            assertThat(e.path("trace_us").path("stream-released").asLong()).isPositive();
        });

        log.awaitProgress(2, GUEST_PROGRESS);
        try (QemuInstance now = QemuInstance.attach(web.spec().qmpSocket())) {
            assertThat(now.pid()).isEqualTo(newPid);
        }
        log.assertClean();

        // the power button of the QEMU replaced: its hfguest (acpi=1 acpi_s5=0) powers off, the QEMU ends
        HyperfreshProcess.Result shutdown = hyperfresh("shutdown", "web", "--wait", "60", "--json");
        assertThat(shutdown.exitCode()).as(shutdown.err()).isZero();
        assertThat(JSON.readTree(shutdown.out()).path("powered_off").asBoolean()).isTrue();
        assertThat(ProcStat.ofProcess(newPid).filter(p -> !p.zombie())).as("the new QEMU ended (init may not have"
                + " reaped it yet: ProcessHandle calls a zombie alive)").isEmpty();
        assertThat(Files.readString(web.spec().debugLog())).contains("INFO poweroff reason=power-button");
    }

    /**
     * A QEMU with private RAM is refused, copy mode offered, also from a systemd service's cgroup, which `info` names;
     * a new QEMU that fails to start rolls the replacement back.
     */
    @Test
    void privateRamIsRefusedWithCopyOfferedAndAFailedStandbyRollsBack() throws Exception {
        RunningVm web = RunningVm.start(TestQemu.vm(dir, "web", Accelerator.TCG, true, GUEST), dir);
        RunningVm priv = RunningVm.start(TestQemu.vm(dir, "private", Accelerator.TCG, false, GUEST), dir);
        HeartbeatLog log = new HeartbeatLog(web.spec().debugLog(), 2);
        // in a cgroup shaped as a service's, which it leaves (killed) before the cgroup goes
        try (TestCgroup service = TestCgroup.service("qemu-private"); RunningVm inService = priv) {
            service.put(priv.process().pid());
            refusedThenRolledBack(web, log);
        }
    }

    private void refusedThenRolledBack(RunningVm web, HeartbeatLog log) throws Exception {
        HyperfreshProcess.Result info = hyperfresh("info", "private", "--json");
        assertThat(JSON.readTree(info.out()).path("systemd_service").asText()).as(info.err())
                .isEqualTo("qemu-private-" + ProcessHandle.current().pid() + ".service");

        HyperfreshProcess.Result refused = hyperfresh("replace", "private", "--accel", "tcg", "--json");
        assertThat(refused.exitCode()).as(refused.err()).isEqualTo(3);
        assertThat(refused.err()).contains("cannot be replaced in place")
                .contains("(in hyperfresh: `replace private --copy`)").doesNotContain("Exception");
        JsonNode nothingDone = JSON.readTree(refused.out());
        assertThat(nothingDone.path("outcome").asText()).isEqualTo("refused");
        assertThat(nothingDone.path("vms_on").path("name").asText()).isEqualTo("private");
        assertThat(nothingDone.path("vms_on").path("pid").asLong()).isPositive();

        Path broken = dir.resolve("broken-qemu");
        Files.writeString(broken, "#!/bin/sh\necho 'qemu-system-x86_64: simulated start failure' >&2\nexit 1\n");
        Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwx------"));
        log.awaitProgress(2, GUEST_PROGRESS);
        Files.createDirectory(dir.resolve("history.jsonl"));   // no history to write to: a warning, nothing more
        HyperfreshProcess.Result rolledBack = hyperfresh("replace", "web", "--with", broken.toString(), "--accel",
                "tcg", "--json");
        assertThat(rolledBack.exitCode()).as(rolledBack.err()).isEqualTo(4);
        JsonNode report = JSON.readTree(rolledBack.out());
        assertThat(report.path("outcome").asText()).isEqualTo("rolled-back");
        assertThat(report.path("reason").asText()).contains("simulated start failure");
        assertThat(report.path("vms_on").path("pid").asLong()).isEqualTo(web.process().pid());
        assertThat(rolledBack.err()).contains("replacement rolled back: the new QEMU did not start");
        assertThat(report.path("warnings").toString()).contains("not recorded in the replacement history");
        try (QemuInstance source = QemuInstance.attach(web.spec().qmpSocket())) {
            assertThat(source.pid()).isEqualTo(web.process().pid());
            assertThat(source.info().status()).isEqualTo("running");
        }
        log.awaitProgress(2, GUEST_PROGRESS);
        log.assertClean();
    }

    /** A QEMU's guest paused, resumed and reset, and its QEMU stopped, through the same commands as hfvisor's (QMP). */
    @Test
    void pauseResumeResetAndStopAQemu() throws Exception {
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "vm", Accelerator.TCG, false, GUEST), dir);
        HeartbeatLog log = new HeartbeatLog(vm.spec().debugLog(), 2);
        log.awaitProgress(2, GUEST_PROGRESS);

        Path script = dir.resolve("lifecycle.hf");
        Files.writeString(script, String.join("\n", "pause vm --json", "info vm --json", "pause vm") + "\n");
        HyperfreshProcess.Result run = hyperfresh("--script", script.toString());
        assertThat(run.exitCode()).as(run.err()).isEqualTo(3);
        assertThat(run.err()).contains("cannot pause QEMU vm's guest: it is paused");
        List<String> lines = run.out().lines().filter(l -> l.startsWith("{")).toList();
        assertThat(lines).hasSize(2);
        assertThat(JSON.readTree(lines.get(0)).path("paused").asText()).isEqualTo("vm");
        assertThat(JSON.readTree(lines.get(1)).path("status").asText()).isEqualTo("paused");
        long beats = log.heartbeats(0);
        Thread.sleep(500);
        assertThat(log.heartbeats(0)).as("paused: no heartbeat").isEqualTo(beats);
        HyperfreshProcess.Result resumed = hyperfresh("resume", "vm", "--json");
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        log.awaitProgress(2, GUEST_PROGRESS);
        log.assertClean();

        HyperfreshProcess.Result noReboot = hyperfresh("reset", "vm");
        assertThat(noReboot.exitCode()).as(noReboot.err()).isEqualTo(3);
        assertThat(noReboot.err()).contains("cannot reset QEMU vm's guest: the QEMU runs with -no-reboot, so a reset"
                + " would end it");

        // one without -no-reboot boots its guest again
        HfguestVm spec = TestQemu.vm(dir, "rebooting", Accelerator.TCG, false, GUEST);
        List<String> argv = new ArrayList<>(spec.commandLine());
        argv.remove("-no-reboot");
        QemuProcess.start(argv, dir.resolve("rebooting.log")).awaitQmp(spec.qmpSocket(), RUN).close();
        HeartbeatLog rebooting = new HeartbeatLog(spec.debugLog(), 2);
        rebooting.awaitProgress(2, GUEST_PROGRESS);
        HyperfreshProcess.Result reset = hyperfresh("reset", "rebooting", "--json");
        assertThat(reset.exitCode()).as(reset.err()).isZero();
        long deadline = System.nanoTime() + GUEST_PROGRESS.toNanos();
        while (Files.readString(spec.debugLog()).split("INFO boot", -1).length < 3) {
            assertThat(System.nanoTime()).as("booted again after the reset").isLessThan(deadline);
            Thread.sleep(50);
        }

        HyperfreshProcess.Result vmNamed = hyperfresh("stop", "vm", "--vm", "x");
        assertThat(vmNamed.exitCode()).as(vmNamed.err()).isEqualTo(2);
        assertThat(vmNamed.err()).contains("--vm names one VM of an hfvisor instance; vm is a QEMU, which runs one");
        HyperfreshProcess.Result stop = hyperfresh("stop", "vm", "--json");
        assertThat(stop.exitCode()).as(stop.err()).isZero();
        assertThat(JSON.readTree(stop.out()).path("instance_ends").asBoolean()).isTrue();
        assertThat(vm.process().process().isAlive()).as("the QEMU quit").isFalse();
    }

    /**
     * A host's upgrade of its QEMUs: three QEMUs run a QEMU installed under a prefix, whose binary a package upgrade
     * then replaces under them; two in the socket directory, one ({@code far}) with its QMP socket elsewhere.
     * {@code replace --all} takes the one it can replace in place, stops at the one with private RAM (refused:
     * nothing touched) and says why it left {@code far}; run again with {@code --also-under} far's directory, it
     * takes {@code far} too and skips the first (now on the new file).
     */
    @Test
    void replaceAllTakesTheQemusStillOnAnUpgradedBinary() throws Exception {
        Path qemu = TestQemu.installedCopy(dir.resolve("prefix"));
        RunningVm web = RunningVm.start(new HfguestVm(qemu, Accelerator.TCG, 2, 128, true, TestQemu.hfguest(dir),
                GUEST, dir.resolve("web.hb"), dir.resolve("web.qmp")), dir);
        RunningVm priv = RunningVm.start(new HfguestVm(qemu, Accelerator.TCG, 2, 128, false, TestQemu.hfguest(dir),
                GUEST, dir.resolve("zz-private.hb"), dir.resolve("zz-private.qmp")), dir);
        Path vms = Files.createDirectories(dir.resolve("vms"));
        RunningVm far = RunningVm.start(new HfguestVm(qemu, Accelerator.TCG, 1, 128, true, TestQemu.hfguest(dir),
                "cpus=1 mem_pct=10 hb_ms=50", dir.resolve("far.hb"), vms.resolve("far.qmp")), dir);
        String farName = "qmp:" + vms.resolve("far.qmp");
        HeartbeatLog log = new HeartbeatLog(web.spec().debugLog(), 2);
        HeartbeatLog farLog = new HeartbeatLog(far.spec().debugLog(), 1);

        HyperfreshProcess.Result current = hyperfresh("replace", "--all", "--check", "--with-qemu", qemu.toString(),
                "--json");
        assertThat(current.exitCode()).as(current.err()).isZero();
        JsonNode none = JSON.readTree(current.out());
        assertThat(none.path("build").isNull()).as("no hfvisor instance: no build asked").isTrue();
        assertThat(none.path("qemu").path("version").asText()).startsWith("QEMU emulator version");
        assertThat(ours(none)).extracting(i -> i.path("why").asText()).containsOnly("it already runs " + qemu);
        assertThat(entry(none, farName).path("result").asText()).isEqualTo("skipped");
        assertThat(entry(none, farName).path("why").asText()).isEqualTo("runs " + qemu.toRealPath()
                + ", outside the socket directory: `--also-under " + vms + "` takes it too, or `replace " + farName
                + "` alone");

        TestQemu.upgrade(qemu);
        Path script = dir.resolve("after-upgrade.hf");
        Files.writeString(script, "list --json\nreplace --all --check --with-qemu " + qemu + " --json\n");
        HyperfreshProcess.Result check = hyperfresh("--script", script.toString());
        assertThat(check.exitCode()).as(check.err()).isEqualTo(3);
        assertThat(check.err()).contains("zz-private: ").contains("cannot be replaced in place")
                .contains("(`replace --all` would stop there; nothing was started)");
        List<String> lines = check.out().lines().filter(l -> l.startsWith("{")).toList();
        assertThat(JSON.readTree(lines.get(0)).path("instances"))
                .filteredOn(i -> !i.path("elsewhere").asBoolean()).allSatisfy(i -> {
            assertThat(i.path("program").asText()).isEqualTo(qemu + " (deleted)");
            assertThat(i.path("program_replaced").asBoolean()).isTrue();
        });
        JsonNode plan = JSON.readTree(lines.get(1));
        assertThat(plan.path("instances").get(0).path("result").asText()).isEqualTo("would-replace");
        assertThat(plan.path("instances").get(0).path("why").asText()).startsWith("pid " + web.process().pid()
                + " runs " + qemu + " (deleted) (QEMU ");
        assertThat(plan.path("instances").get(1).path("result").asText()).isEqualTo("failed");

        Path broken = dir.resolve("broken-qemu");   // says its version, cannot start a QEMU
        Files.writeString(broken, "#!/bin/sh\n[ \"$1\" = --version ] && exec " + qemu + " --version\n"
                + "echo 'qemu-system-x86_64: simulated start failure' >&2\nexit 1\n");
        Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwx------"));
        HyperfreshProcess.Result failed = hyperfresh("replace", "--all", "--with-qemu", broken.toString(), "--json");
        assertThat(failed.exitCode()).as(failed.err()).isEqualTo(4);
        assertThat(failed.err()).contains("web: replacement rolled back: ").contains("simulated start failure")
                .contains("(0 replaced before it, 1 not reached and untouched)");
        JsonNode rolledBack = JSON.readTree(failed.out());
        assertThat(rolledBack.path("outcome").asText()).isEqualTo("rolled-back");
        assertThat(rolledBack.path("vms_on").path("pid").asLong()).isEqualTo(web.process().pid());
        assertThat(ours(rolledBack)).extracting(i -> i.path("result").asText())
                .containsExactly("failed", "not-reached");

        log.awaitProgress(2, GUEST_PROGRESS);
        HyperfreshProcess.Result run = hyperfresh("replace", "--all", "--with-qemu", qemu.toString(), "--json");
        assertThat(run.exitCode()).as(run.err()).isEqualTo(3);
        assertThat(run.err()).contains("zz-private: ").contains("(1 replaced before it, 0 not reached and untouched)");
        JsonNode upgrade = JSON.readTree(run.out());
        JsonNode replaced = upgrade.path("instances").get(0);
        assertThat(replaced.path("kind").asText()).isEqualTo("qemu");
        assertThat(replaced.path("result").asText()).isEqualTo("committed");
        assertThat(replaced.path("replace").path("blackout_us").asLong()).isPositive();
        long newPid = replaced.path("replace").path("after").path("pid").asLong();
        assertThat(web.process().process().waitFor(10, TimeUnit.SECONDS)).as("the old QEMU gone").isTrue();
        assertThat(upgrade.path("instances").get(1).path("outcome").asText()).isEqualTo("refused");
        assertThat(upgrade.path("vms_on").path("pid").asLong()).as("its VM where it was")
                .isEqualTo(priv.process().pid());

        assertThat(entry(upgrade, farName).path("result").asText()).isEqualTo("skipped");
        assertThat(far.process().process().isAlive()).as("far left as it was").isTrue();

        farLog.awaitProgress(1, GUEST_PROGRESS);
        HyperfreshProcess.Result again = hyperfresh("replace", "--all", "--with-qemu", qemu.toString(),
                "--also-under", vms.toString(), "--json");
        assertThat(again.exitCode()).as(again.err()).isEqualTo(3);
        assertThat(again.err()).contains("zz-private: ").contains("(1 replaced before it, 0 not reached and untouched)");
        JsonNode second = JSON.readTree(again.out());
        assertThat(second.path("instances").get(0).path("instance").asText()).as("in name order").isEqualTo(farName);
        assertThat(entry(second, farName).path("result").asText()).isEqualTo("committed");
        assertThat(entry(second, "web").path("why").asText()).isEqualTo("it already runs " + qemu);
        try (QemuInstance now = QemuInstance.attach(web.spec().qmpSocket())) {
            assertThat(now.pid()).isEqualTo(newPid);
        }
        assertThat(far.process().process().waitFor(10, TimeUnit.SECONDS)).as("far's old QEMU gone").isTrue();
        try (QemuInstance now = QemuInstance.attach(vms.resolve("far.qmp"))) {
            assertThat(now.pid()).isEqualTo(entry(second, farName).path("replace").path("after").path("pid").asLong());
        }
        assertThat(priv.process().process().isAlive()).isTrue();
        log.awaitProgress(2, GUEST_PROGRESS);
        log.assertClean();
        farLog.awaitProgress(1, GUEST_PROGRESS);
        farLog.assertClean();
    }

    /** A report's entries for this test's socket directory: not the host's other QEMUs ({@code qmp:PATH}, pid N). */
    private static List<JsonNode> ours(JsonNode report) {
        List<JsonNode> ours = new ArrayList<>();
        report.path("instances").forEach(i -> {
            if (!i.path("instance").asText().startsWith("qmp:") && !i.path("instance").asText().startsWith("pid ")) {
                ours.add(i);
            }
        });
        return ours;
    }

    private static JsonNode entry(JsonNode report, String instance) {
        for (JsonNode i : report.path("instances")) {
            if (i.path("instance").asText().equals(instance)) {
                return i;
            }
        }
        throw new AssertionError("no entry for " + instance + " in " + report);
    }
}
