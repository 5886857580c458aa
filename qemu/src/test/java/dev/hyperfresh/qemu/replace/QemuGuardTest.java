package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.qemu.testing.HeartbeatLog;
import dev.hyperfresh.qemu.testing.RunningVm;
import dev.hyperfresh.qemu.testing.TestQemu;
import dev.hyperfresh.qemu.testing.Vnc;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Pidfd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A console that ends mid-replacement must not leave the VM frozen between two QEMUs (the old one stopped by its
 * completed migration, the new one waiting for the end of the stream), nor run by both: the guard settles it. On the
 * real QEMU (TCG here), hfguest's heartbeats as the oracle.
 */
class QemuGuardTest {
    private static final String GUEST = "cpus=2 mem_pct=10 hb_ms=50";
    private static final Duration GUEST_PROGRESS = Duration.ofSeconds(30);
    private static final Duration SETTLED = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aConsoleKilledMidMigrationLeavesTheVmRunningOnTheOldQemu() throws Exception {
        consoleEndsMidMigration("kill");
    }

    @Test
    void aConsoleStoppedMidMigrationIsKilledAndTheVmLeftRunningOnTheOldQemu() throws Exception {
        assertThat(consoleEndsMidMigration("stop")).contains("has been stopped for 2 s in the middle of the"
                + " replacement: killed it");
    }

    /** Runs a {@link DyingConsole} that ends as {@code how} says; returns the guard's log. */
    private String consoleEndsMidMigration(String how) throws Exception {
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "vm", Accelerator.TCG, false, GUEST), dir);
        HeartbeatLog log = new HeartbeatLog(vm.spec().debugLog(), 2);
        Path guardLog = dir.resolve("vm.qmp.guard.log");
        try (vm) {
            log.awaitProgress(2, GUEST_PROGRESS);
            Process console = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), DyingConsole.class.getName(),
                    vm.spec().qmpSocket().toString(), TestQemu.binary().toString(), how)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("console.out").toFile()).start();
            assertThat(console.waitFor()).as(Files.readString(dir.resolve("console.out"))).isEqualTo(DyingConsole.DIED);
            await(() -> contains(guardLog, "rolled back"), "the guard's rollback");
            assertThat(Files.readString(guardLog)).contains("the console ended before its replacement of QEMU pid "
                    + vm.process().pid()).contains("the VM runs on the old QEMU pid " + vm.process().pid());
            await(() -> qemusIn().size() == 1, "one QEMU left");
            assertThat(qemusIn()).containsExactly(vm.process().pid());
            try (QemuInstance qemu = QemuInstance.attach(vm.spec().qmpSocket())) {
                assertThat(qemu.info().status()).isEqualTo("running");
            }
            log.awaitProgress(2, GUEST_PROGRESS);
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
        return Files.readString(guardLog);
    }

    @Test
    void aConsoleGoneBeforeItsReleaseLeavesTheVmRunningOnTheOldQemu() throws IOException {
        settleWhatAConsoleLeft(false);
    }

    @Test
    void aConsoleGoneJustAfterItsReleaseLeavesTheVmRunningOnTheNewQemu() throws IOException {
        settleWhatAConsoleLeft(true);
    }

    /**
     * The settling itself, on the QEMUs a console left just before or just after releasing the stream's end (the
     * new QEMU then perhaps still loading: the guard waits for its load to end).
     */
    private void settleWhatAConsoleLeft(boolean afterRelease) throws IOException {
        List<String> vnc = Vnc.freeDisplayOption();   // its TCP port goes to the QEMU that keeps the VM
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST), dir, vnc);
        HeartbeatLog log = new HeartbeatLog(vm.spec().debugLog(), 2);
        try (vm) {
            log.awaitProgress(2, GUEST_PROGRESS);
            Left left = migrateThenLeave(vm, afterRelease);
            GuardOrders orders = left.orders();
            String outcome = left.replacement().settle();
            long owner = afterRelease ? orders.standbyPid() : orders.oldPid();
            assertThat(outcome).startsWith(afterRelease ? "finished" : "rolled back").doesNotContain("VNC");
            assertThat(Vnc.greeting(Vnc.port(vnc))).startsWith("RFB");
            assertThat(qemusIn()).containsExactly(owner);
            try (QemuInstance qemu = QemuInstance.attach(vm.spec().qmpSocket())) {
                assertThat(qemu.pid()).isEqualTo(owner);
                assertThat(qemu.info().status()).isEqualTo("running");
            }
            log.awaitProgress(2, GUEST_PROGRESS);
            try (var files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".next-"));
            }
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }

    /**
     * What a console does up to its commit point (and, with {@code release}, just past it), then leaves as a dead
     * console would: both QMP connections and the stream's sockets closed, nothing more done. The pidfds are taken
     * before, as a guard takes them (a new QEMU whose stream was cut exits at once).
     */
    private Left migrateThenLeave(RunningVm vm, boolean release) {
        ReplacementOptions options = ReplacementOptions.of(TestQemu.binary(), ReplacementMode.SHARED)
                .withAccelerator(Accelerator.TCG);
        Path qmpSocket = vm.spec().qmpSocket();
        Path migration = qmpSocket.resolveSibling("vm.qmp.migrate");
        try (QemuInstance qemu = QemuInstance.attach(qmpSocket); Plan plan = Replaceability.check(qemu, options)) {
            QemuProcess standby = QemuProcess.start(plan.standby().argv(), plan.standby().directory(),
                    dir.resolve("standby.log"), plan.passedFiles());
            Fd standbyPidfd = Pidfd.open((int) standby.pid());
            try (QmpClient target = standby.awaitQmp(plan.standby().qmpSocket(), Duration.ofSeconds(30))) {
                for (QmpClient q : List.of(qemu.qmp(), target)) {
                    q.execute("migrate-set-capabilities", Map.of("capabilities", List.of(
                            Map.of("capability", "x-ignore-shared", "state", true))));
                }
                target.execute("migrate-incoming", Map.of("uri", "unix:" + migration));
                try (StreamHold hold = StreamHold.listen(migration)) {
                    qemu.qmp().execute("migrate", Map.of("uri", "unix:" + hold.path()));
                    await(() -> qemu.qmp().execute("query-migrate").path("status").asText().equals("completed"),
                            "the old QEMU's migration");
                    if (release) {
                        hold.release();
                    }
                }
            }
            GuardOrders orders = new GuardOrders(vm.process().pid(), qmpSocket, true, List.of(standby.pid()),
                    plan.standby().qmpSocket(), migration, plan.standby().socketMoves(), plan.standby().pidfile(),
                    plan.standby().vnc(), plan.standby().forwards(), Optional.empty());
            return new Left(orders, new UnfinishedReplacement(orders, Pidfd.open((int) orders.oldPid()),
                    List.of(standbyPidfd), Optional.empty()));
        }
    }

    private record Left(GuardOrders orders, UnfinishedReplacement replacement) {
    }

    private List<Long> qemusIn() {
        String mark = dir.toString();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.contains("qemu-system")).orElse(false))
                .filter(p -> TestQemu.mentions(p, mark))
                .map(ProcessHandle::pid).toList();
    }

    private static boolean contains(Path file, String text) {
        try {
            return Files.exists(file) && Files.readString(file).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    private static void await(BooleanSupplier done, String what) {
        long deadline = System.nanoTime() + SETTLED.toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            QemuProcess.sleep(Duration.ofMillis(50));
        }
    }
}
