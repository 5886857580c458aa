package dev.hyperfresh.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.UnixSocket;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.testkit.SystemdSandbox;
import dev.hyperfresh.testkit.TestCgroup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * hfvisor run as a systemd service ({@code Type=notify}), this test in systemd's part: the instance is started with
 * {@code NOTIFY_SOCKET} naming the test's socket and put in a cgroup shaped as a service's. It says it is ready; at
 * each replacement's commit it names its successor the service's main process and moves it into the service's
 * cgroup (the console leaves that cgroup to it); the successor, told the socket with the VMs, does the same at the
 * next replacement, and says it is stopping when the service is stopped (SIGTERM).
 */
@RequiresKvm
@Timeout(value = 10, unit = TimeUnit.MINUTES)   // five JVM starts: up to a minute each in the nested KVM
class ServiceOnKvmTest {
    private static final String UNIT = "hfvisor-test.service";

    @TempDir
    Path root;

    @Test
    void theServiceGoesOnWithItsVmsThroughReplacementsAndHearsOfTheirStop() throws Exception {
        Path dir = RealInstances.directory(root, "svc");
        String manager = dir.resolve("notify").toString();
        Path hfv = RealInstances.launcher(dir, "hfv", null);
        Path asService = RealInstances.script(dir, "as-service", "NOTIFY_SOCKET=" + manager + " exec " + hfv
                + " \"$@\"");
        HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, asService, Duration.ofSeconds(60)));
        String vm = RealInstances.vmName("svc");
        try (UnixSocket notifications = UnixSocket.datagramAt(manager);
                TestCgroup service = TestCgroup.service("hf-svc"); Leftovers left = new Leftovers(dir)) {
            engine.launch(new LaunchRequest(RealInstances.INSTANCE, List.of(RealInstances.spec(vm)), null),
                    ProgressListener.NONE);
            long first = engine.instance(RealInstances.INSTANCE).info().pid();
            service.put(first);
            assertThat(receive(notifications)).startsWith("READY=1\n").contains("MAINPID=" + first);

            long previous = first;
            for (int i = 0; i < 2; i++) {
                ReplaceReport r = engine.replacement(RealInstances.INSTANCE).replace(hfv, Duration.ofMillis(1500),
                        ProgressListener.NONE);
                assertThat(r.verified()).as("replacement %d verified", i).isTrue();
                assertThat(r.warnings()).as("the console leaves the service's cgroup to the old instance").isEmpty();
                long next = r.after().pid();
                assertThat(receive(notifications)).as("from pid %d", previous)
                        .isEqualTo("MAINPID=" + next + "\nSTATUS=handed its VMs to pid " + next);
                awaitIn(service, next);
                previous = next;
            }

            RealInstances.signal(previous, "TERM");   // systemctl stop
            assertThat(receive(notifications)).startsWith("STOPPING=1");
            assertThat(ProcessHandle.of(previous).map(p -> p.onExit().orTimeout(60, TimeUnit.SECONDS).join()))
                    .as("ended").isPresent();
            assertThat(drain(notifications)).as("nothing else: a standby answers to no service manager").isEmpty();
        }
    }

    /** Closed before the cgroup, which can only go once its processes have. */
    private record Leftovers(Path dir) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            RealInstances.killLeftovers(dir);
        }
    }

    /**
     * The same under systemd itself (in a sandbox of its own), with the unit file hfvisor(1) gives: after a
     * replacement by a console on its machine the service is active with the new instance as its main process, in
     * its cgroup; {@code systemctl stop} then shuts its guest down and the service ends cleanly.
     */
    @Test
    void systemdKeepsTheServiceThroughAReplacementAndStopsItsNewMainProcess() throws Exception {
        Path dir = RealInstances.directory(root, "systemd");
        Path hfv = RealInstances.launcher(dir, "hfv", null);
        String vm = RealInstances.vmName("sd");
        try (SystemdSandbox systemd = SystemdSandbox.start(Files.createDirectories(root.resolve("sandbox")),
                Map.of(UNIT, unitFile(hfv, dir, vm)));
                Leftovers left = new Leftovers(dir)) {
            systemd.systemctl("start", UNIT);
            HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, hfv, Duration.ofSeconds(60)));
            long first = engine.instance(RealInstances.INSTANCE).info().pid();   // as systemd sees it: its namespace
            assertThat(systemd.show(UNIT, "MainPID", "ActiveState"))
                    .containsEntry("MainPID", Long.toString(first)).containsEntry("ActiveState", "active");

            SystemdSandbox.Ran console = systemd.run(RealInstances.JAVA, "-cp", System.getProperty("java.class.path"),
                    FaultConsoleMain.class.getName(), dir.toString(), RealInstances.INSTANCE, hfv.toString(), "60000");
            assertThat(console.output()).as("the console on systemd's machine").contains("REPORT committed");
            long next = engine.instance(RealInstances.INSTANCE).info().pid();
            assertThat(next).isNotEqualTo(first);
            awaitMainPid(systemd, UNIT, next);
            assertThat(systemd.show(UNIT, "ActiveState", "SubState"))
                    .containsEntry("ActiveState", "active").containsEntry("SubState", "running");
            assertThat(systemd.processesOf(UNIT)).as("the service's cgroup").contains(next).doesNotContain(first);

            systemd.systemctl("stop", UNIT);
            assertThat(systemd.show(UNIT, "ActiveState", "Result"))
                    .containsEntry("ActiveState", "inactive").containsEntry("Result", "success");
            assertThat(Files.readString(dir.resolve(RealInstances.INSTANCE + "-next-1.log")))
                    .as("the guest asked to shut down, not killed").contains("asked " + vm + " to shut down");
        }
    }

    /**
     * The old instance killed as it learns of the commit, before it names its successor: systemd sees the service's
     * main process die and ends the service, but the successor, outside its cgroup until then, runs the VM on;
     * with {@code Restart=} the hfvisor systemd starts again finds the name taken and exits 75, which the unit
     * file's {@code RestartPreventExitStatus=} keeps from being tried again.
     */
    @Test
    void theOldInstanceDyingBeforeItNamesItsSuccessorLeavesTheVmRunningOutsideTheService() throws Exception {
        Path dir = RealInstances.directory(root, "dies");
        Path dying = RealInstances.launcher(dir, "dying", "taken");
        Path hfv = RealInstances.launcher(dir, "hfv", null);
        String vm = RealInstances.vmName("sdd");
        try (SystemdSandbox systemd = SystemdSandbox.start(Files.createDirectories(root.resolve("sandbox")),
                Map.of(UNIT, unitFile(dying, dir, vm) + "Restart=on-failure\nRestartSec=1\n"
                        + "RestartPreventExitStatus=75\n"));
                Leftovers left = new Leftovers(dir)) {
            systemd.systemctl("start", UNIT);
            HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, hfv, Duration.ofSeconds(60)));
            long first = engine.instance(RealInstances.INSTANCE).info().pid();

            SystemdSandbox.Ran console = systemd.run(RealInstances.JAVA, "-cp", System.getProperty("java.class.path"),
                    FaultConsoleMain.class.getName(), dir.toString(), RealInstances.INSTANCE, hfv.toString(), "60000");
            assertThat(console.output()).as("the console learns of the commit from the new instance")
                    .contains("ERROR COMMITTED the cutover reply was lost").contains("the VMs moved");
            long next = engine.instance(RealInstances.INSTANCE).info().pid();
            assertThat(next).isNotEqualTo(first);
            RealInstances.awaitHeartbeats(engine, vm, 5);

            for (int i = 0; i < 200 && !systemd.show(UNIT, "ActiveState").get("ActiveState").equals("failed"); i++) {
                Thread.sleep(50);   // the restart: RestartSec, then a JVM's start to its name lock
            }
            assertThat(systemd.show(UNIT, "ActiveState", "ExecMainStatus"))
                    .as("restarted once, into the name the successor holds").containsEntry("ActiveState", "failed")
                    .containsEntry("ExecMainStatus", "75");
            assertThat(engine.instance(RealInstances.INSTANCE).info().pid()).isEqualTo(next);
            RealInstances.awaitHeartbeats(engine, vm, 5);
        }
    }

    private static String unitFile(Path launcher, Path dir, String vm) {
        return "[Unit]\nDefaultDependencies=no\n[Service]\nType=notify\n"
                + "ExecStart=" + launcher + " --name " + RealInstances.INSTANCE + " --socket-dir " + dir
                + " --vm " + RealInstances.spec(vm) + "\n"
                + "ExecStop=/bin/kill -TERM $MAINPID\n"
                + "ExecStop=/usr/bin/tail --pid=${MAINPID} -s 0.2 -f /dev/null\n"
                + "SuccessExitStatus=143\nTimeoutStopSec=60\n";
    }

    private static void awaitMainPid(SystemdSandbox systemd, String unit, long pid) throws Exception {
        for (int i = 0; i < 200 && !systemd.show(UNIT, "MainPID").get("MainPID").equals(Long.toString(pid)); i++) {
            Thread.sleep(25);
        }
        assertThat(systemd.show(UNIT, "MainPID")).containsEntry("MainPID", Long.toString(pid));
    }

    private static String receive(UnixSocket socket) {
        return receive(socket, RealInstances.PATIENCE.toMillis());
    }

    private static String receive(UnixSocket socket, long timeoutMs) {
        socket.setReceiveTimeout(timeoutMs);
        byte[] buf = new byte[4096];
        return new String(buf, 0, socket.receive(buf, 0).length(), StandardCharsets.UTF_8);
    }

    private static List<String> drain(UnixSocket socket) {
        List<String> left = new ArrayList<>();
        try {
            while (true) {
                left.add(receive(socket, 200));
            }
        } catch (SysException timedOut) {
            return left;
        }
    }

    /** The old instance moves it after replying to the cutover: a moment after the console hears of the commit. */
    private static void awaitIn(TestCgroup cgroup, long pid) throws Exception {
        for (int i = 0; i < 200 && !cgroup.holds(pid); i++) {
            Thread.sleep(25);
        }
        assertThat(cgroup.holds(pid)).as("pid %d in the service's cgroup", pid).isTrue();
    }
}
