package dev.hyperfresh.engine;

import dev.hyperfresh.progress.ProgressListener;
import static dev.hyperfresh.engine.RealInstances.INSTANCE;
import static dev.hyperfresh.engine.RealInstances.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.engine.FaultMatrix.Case;
import dev.hyperfresh.engine.FaultMatrix.Layout;
import dev.hyperfresh.engine.FaultMatrix.Owner;
import dev.hyperfresh.engine.FaultMatrix.Party;
import dev.hyperfresh.engine.FaultMatrix.Signal;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.control.InstanceInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault matrix (docs/HANDOVER.md): for each case of {@link FaultMatrix}, a real old instance (one VM, or two with
 * one powered off), a console process running `replace` as the shell does, and the fault; then, once everything has
 * settled: the VM runs on exactly one process — the one the case expects — or is lost with the console saying why,
 * nothing is paused, no process of the case, socket, held lock, mapping of the guest's RAM, open disk image or tap
 * (the VM has one of each: the image's lock and the tap's attachment move with their descriptors and are held exactly
 * by the live instance) is left but the live instance's, and the instance takes the next command (a further replacement, verified). One JVM for all cases;
 * {@code -Dhyperfresh.fault-matrix=full} ({@code bin/fault-matrix}) runs every case, the default a slice hitting every
 * step, party, signal and layout.
 */
@RequiresKvm
@Timeout(value = 60, unit = TimeUnit.MINUTES)
class FaultMatrixOnKvmTest {
    /** The console's standby start time-out (a stalled standby start is killed after it). */
    private static final long START_TIMEOUT_MS = 20_000;
    /**
     * How long a stopped hfvisor stays stopped while the console waits: beyond every hfvisor time-out
     * (RealInstances'), so each gets its chance. A standby stopped as it starts stays stopped until the console's
     * own start time-out has ended it.
     */
    private static final Duration HFVISOR_STALL = Duration.ofMillis(Math.max(RealInstances.REPLY_WAIT_MS,
            2 * RealInstances.CLAIM_WAIT_MS) + 2_000);
    /** How long a stopped console stays stopped. */
    private static final Duration CONSOLE_STALL = Duration.ofSeconds(2);

    @TempDir
    static Path root;
    private static long started;
    private static final AtomicInteger ran = new AtomicInteger();

    @BeforeAll
    static void start() {
        started = System.nanoTime();
    }

    @AfterAll
    static void report() {
        System.out.printf("fault matrix: %d cases run in %d s (%d in the whole matrix, %d of them stated)%n",
                ran.get(), (System.nanoTime() - started) / 1_000_000_000, FaultMatrix.all().size(),
                FaultMatrix.all().stream().filter(c -> !c.runnable()).count());
    }

    @TestFactory
    Stream<DynamicTest> everyFaultLeavesEachVmOnExactlyOneProcessAndNothingBehind() {
        boolean full = "full".equals(System.getProperty("hyperfresh.fault-matrix"));
        String only = System.getProperty("hyperfresh.fault-case");
        List<Case> cases = full || only != null ? FaultMatrix.all() : FaultMatrix.slice();
        return cases.stream().filter(c -> only == null || c.name().contains(only)).map(c ->
                DynamicTest.dynamicTest(c.name() + (c.runnable() ? " → " + c.expected() : " (stated)"), () -> {
                    if (c.runnable()) {
                        run(c);
                        ran.incrementAndGet();
                    } else {
                        System.out.println(c.name() + ": not run, by construction: " + c.stated());
                    }
                }));
    }

    private void run(Case c) throws Exception {
        long caseStart = System.nanoTime();
        Path dir = RealInstances.directory(root, "c" + c.index());
        String web = RealInstances.vmName("w" + c.index());
        String db = RealInstances.vmName("d" + c.index());
        Path plain = RealInstances.launcher(dir, "hfv", null);
        Path faulty = RealInstances.launcher(dir, "hfv-fault", c.faultOption());
        Path oldLauncher = c.party() == Party.OLD ? faulty : plain;
        Path standbyLauncher = c.party() == Party.STANDBY ? faulty : plain;
        HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, oldLauncher, Duration.ofSeconds(60)));
        Path image = RealInstances.image(dir, web);
        List<String> specs = new ArrayList<>(List.of(RealInstances.spec(web, image)));
        if (c.layout() == Layout.TWO_VMS_ONE_STOPPED) {
            specs.add(RealInstances.spec(db));
        }
        long oldPid = engine.launch(new LaunchRequest(INSTANCE, specs), ProgressListener.NONE).info().pid();
        try {
            try {
                if (c.layout() == Layout.TWO_VMS_ONE_STOPPED) {
                    engine.stop(INSTANCE, db);
                }
                RealInstances.awaitHeartbeats(engine, web, 2);
            } catch (Exception e) {   // before any fault: the instance's own log says why it is gone
                Path log = dir.resolve(INSTANCE + ".log");
                throw new AssertionError(c.name() + ": the freshly launched instance did not take its setup (" + e
                        + "); its log: " + (Files.exists(log) ? Files.readString(log) : "none"), e);
            }

            Process console = RealInstances.console(dir, standbyLauncher, START_TIMEOUT_MS,
                    c.party() == Party.CONSOLE ? c.phase() : null, c.signal().number);
            String said = awaitConsole(console, dir, c);
            Owner owner = settle(dir, c.expected(), oldPid);
            System.out.printf("%s: console said: %s%n", c.name(), said);
            assertThat(owner).as("%s: where the VM ended; the console said: %s", c.name(), said)
                    .isEqualTo(c.expected());
            long live = checkOneOwner(c, dir, engine, web, db, oldPid, said);
            RealInstances.assertNothingLeaks(dir, web, live);
            RealInstances.assertImageAndTapHeldOnlyBy(image, live);
            nextCommand(c, dir, engine, web, image, live);
        } finally {
            RealInstances.killLeftovers(dir);
        }
        assertThat(CaseProcesses.of(dir.toString())).as("%s: processes left after the case", c.name()).isEmpty();
        System.out.printf("%s: passed in %d ms%n", c.name(), (System.nanoTime() - caseStart) / 1_000_000);
    }

    /** The running VM is on exactly one hfvisor, the one the case expects, running (not paused), heartbeats on. */
    private long checkOneOwner(Case c, Path dir, HfvisorEngine engine, String web, String db, long oldPid,
                               String said) throws Exception {
        List<CaseProcesses.Proc> hfvisors = CaseProcesses.of(dir.toString()).stream()
                .filter(CaseProcesses.Proc::hfvisor).toList();
        if (c.expected() == Owner.LOST) {
            assertThat(hfvisors).as("%s: no hypervisor is left", c.name()).isEmpty();
            assertThat(said).as("%s: the console says what happened", c.name()).startsWith("ERROR");
            return -1;
        }
        assertThat(hfvisors).as("%s: exactly one hypervisor runs", c.name()).hasSize(1);
        InstanceInfo info = engine.instance(INSTANCE).info();
        assertThat(info.pid()).as("%s: the instance answering", c.name()).isEqualTo(hfvisors.get(0).pid());
        if (c.expected() == Owner.OLD) {
            assertThat(info.pid()).as("%s: the old instance keeps the VM", c.name()).isEqualTo(oldPid);
        } else {
            assertThat(info.pid()).as("%s: the new instance runs the VM", c.name()).isNotEqualTo(oldPid);
        }
        assertThat(info.state()).as("%s: no handover left prepared", c.name()).isEqualTo("running");
        assertThat(info.vms()).filteredOn(v -> v.name().equals(web)).singleElement()
                .satisfies(v -> assertThat(v.state()).as("%s: %s", c.name(), web).isEqualTo("running"));
        if (c.layout() == Layout.TWO_VMS_ONE_STOPPED) {
            // A powered-off VM does not move: it stays (stopped) with the old instance, or ends with it.
            assertThat(info.vms().stream().filter(v -> v.name().equals(db)).map(InstanceInfo.Vm::state).toList())
                    .as("%s: %s", c.name(), db).isEqualTo(c.expected() == Owner.OLD ? List.of("stopped") : List.of());
        }
        RealInstances.awaitHeartbeats(engine, web, 2);
        return info.pid();
    }

    /** The instance takes the next command: a clean replacement, verified (or, once lost, a launch under its name). */
    private static void nextCommand(Case c, Path dir, HfvisorEngine engine, String web, Path image, long live) {
        Path plain = dir.resolve("hfv");
        HfvisorEngine next = new HfvisorEngine(new EngineConfig(dir, plain, Duration.ofSeconds(60)));
        if (live < 0) {
            assertThatThrownBy(() -> next.instance(INSTANCE)).isInstanceOf(EngineException.class);
            next.launch(new LaunchRequest(INSTANCE, List.of(RealInstances.spec(web, image))), ProgressListener.NONE);
        } else {
            ReplaceReport r = next.replacement(INSTANCE).replace(plain, Duration.ofSeconds(1), ProgressListener.NONE);
            assertThat(r.outcome()).as("%s: the next replace: %s", c.name(), r.reason()).isEqualTo("committed");
            assertThat(r.verified()).as("%s: verified: %s", c.name(), r.verification()).isTrue();
        }
        assertThat(next.instance(INSTANCE).info().vms()).filteredOn(v -> v.name().equals(web)).singleElement()
                .satisfies(v -> assertThat(v.state()).isEqualTo("running"));
        next.stop(INSTANCE, null);
        assertThat(RealInstances.list(dir, ".sock")).as("%s: sockets after stop", c.name()).isEmpty();
    }

    private static boolean answersAs(Path dir, long pid) {
        try {
            return Control.query(dir.resolve(INSTANCE + HfvisorEngine.SOCKET_SUFFIX)).info().pid() == pid;
        } catch (RuntimeException notYet) {
            return false;
        }
    }

    /** Runs the console to its end; a stopped party (hfvisor or console) is continued after its stall. */
    private static String awaitConsole(Process console, Path dir, Case c) throws Exception {
        Duration stall = c.party() == Party.CONSOLE ? CONSOLE_STALL : c.step() == FaultMatrix.Step.STANDBY
                ? Duration.ofMillis(START_TIMEOUT_MS).plus(PATIENCE) : HFVISOR_STALL;
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        long stoppedSince = 0;
        boolean continued = false;
        while (console.isAlive() && System.nanoTime() < deadline) {
            List<CaseProcesses.Proc> stopped = CaseProcesses.of(dir.toString()).stream()
                    .filter(CaseProcesses.Proc::stopped).toList();
            if (!stopped.isEmpty() && stoppedSince == 0) {
                stoppedSince = System.nanoTime();
            }
            if (!stopped.isEmpty() && System.nanoTime() - stoppedSince > stall.toNanos()) {
                stopped.forEach(p -> RealInstances.signal(p.pid(), "CONT"));
                continued = true;
            }
            Thread.sleep(50);
        }
        if (c.signal() == Signal.STOP && !continued) {
            // The console finished around the stopped process (the time-outs did their work): continue it now.
            CaseProcesses.of(dir.toString()).stream().filter(CaseProcesses.Proc::stopped)
                    .forEach(p -> RealInstances.signal(p.pid(), "CONT"));
        }
        assertThat(console.waitFor(10, TimeUnit.SECONDS)).as("%s: the console ends", c.name()).isTrue();
        String out = new String(console.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        List<String> lines = out.lines().filter(l -> l.startsWith("REPORT") || l.startsWith("ERROR")).toList();
        if (c.party() == Party.CONSOLE && c.signal() == Signal.KILL) {
            assertThat(lines).as("%s: a killed console says nothing more: %s", c.name(), out).isEmpty();
            return "(killed)";
        }
        assertThat(lines).as("%s: the console's outcome: %s", c.name(), out).hasSize(1);
        return lines.get(0);
    }

    /**
     * Waits until the case's hypervisors are as the expected owner needs them (one, or none when the VM is lost) and
     * nothing of the case is stopped or still running but hypervisors; returns where the VM is then.
     */
    private static Owner settle(Path dir, Owner expected, long oldPid) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        int want = expected == Owner.LOST ? 0 : 1;
        while (true) {
            List<CaseProcesses.Proc> procs = CaseProcesses.of(dir.toString());
            List<CaseProcesses.Proc> hfvisors = procs.stream().filter(CaseProcesses.Proc::hfvisor).toList();
            boolean quiet = procs.stream().allMatch(p -> p.hfvisor() && !p.stopped());
            // A standby continued after its stall takes the name a moment later: the instance must answer as it.
            boolean named = want == 0 || hfvisors.size() == 1 && answersAs(dir, hfvisors.get(0).pid());
            if (quiet && hfvisors.size() == want && named || System.nanoTime() > deadline) {
                return hfvisors.isEmpty() ? Owner.LOST : hfvisors.size() > 1 ? null
                        : hfvisors.get(0).pid() == oldPid ? Owner.OLD : Owner.NEW;
            }
            Thread.sleep(50);
        }
    }

}
