package dev.hyperfresh.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.hyperfresh.engine.ReplaceAllReport.Entry;
import dev.hyperfresh.engine.ReplaceAllReport.Result;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.sys.CpuAffinity;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.testkit.TestCgroup;
import dev.hyperfresh.vmm.BuildInfo;
import dev.hyperfresh.vmm.control.InstanceInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host's upgrade on real hfvisor instances running hfguest: every instance replaced by a new build, each
 * verified by its guest; the same command again skips them all (they run that build); with a build that fails on
 * the second instance, the first is replaced, the second rolls back and the third is not touched; a QEMU is named as
 * left alone. Interrupted (Ctrl-C) during the first instance's replacement, that one goes on undisturbed and the run
 * stops after it. An instance's
 * {@code --shutdown-timeout} moves with it, and so do its cgroup, OOM score adjustment and vCPU pinning.
 */
@RequiresKvm
@Timeout(value = 15, unit = TimeUnit.MINUTES)   // nine JVM starts: up to a minute each in the nested KVM
class ReplaceAllOnKvmTest {
    private static final List<String> NAMES = List.of("a", "b", "c");
    private static final Duration WINDOW = Duration.ofMillis(1500);
    private static final QemuReplaceRequest QEMU_AS_INSTALLED = new QemuReplaceRequest(null, false, null, false, false);

    @TempDir
    Path root;

    @Test
    void everyInstanceIsReplacedOnceAndAFailingBuildStopsAtTheFirstItFails() throws Exception {
        Path dir = RealInstances.directory(root, "all");
        Path hfv = RealInstances.launcher(dir, "hfv", null);
        HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, hfv, Duration.ofSeconds(60)));
        TestCgroup cgroup = TestCgroup.make("hf-replace-all");
        try {
            for (String name : NAMES) {
                engine.launch(new LaunchRequest(name, List.of(RealInstances.spec(RealInstances.vmName(name))),
                        name.equals("a") ? Duration.ofSeconds(7) : null), ProgressListener.NONE);
            }
            String running = engine.instance("a").info().buildId();
            // another build, as far as --version tells: what the instances run is then not it
            Path next = RealInstances.script(dir, "next", "[ \"$1\" = --version ] && { echo 'hfvisor 9.9 (build"
                    + " next)'; exit 0; }\nexec " + RealInstances.hfvisorCommand(null) + " \"$@\"");
            Map<String, Long> pids = pids(engine);
            cgroup.put(pids.get("c"));   // as an operator's limits, or a scope whose life is c's VM's
            Files.writeString(Path.of("/proc/" + pids.get("c") + "/oom_score_adj"), "300", StandardOpenOption.WRITE);
            BitSet cpu0 = new BitSet();   // not the last CPUs, which a standby's own split gives its vCPUs for a while
            cpu0.set(0);
            assertThat(CpuAffinity.setThread(vcpuThread(pids.get("c")), cpu0)).as("c's vCPU pinned").isTrue();

            ReplaceAllReport plan = engine.checkAll(next, QEMU_AS_INSTALLED, null);
            assertThat(plan.dryRun()).isTrue();
            assertThat(ours(plan)).extracting(Entry::instance, Entry::result, Entry::why).containsExactly(
                    NAMES.stream().map(name -> tuple(name, Result.WOULD_REPLACE, "pid " + pids.get(name)
                            + " runs build " + running)).toArray(Tuple[]::new));
            assertThat(pids(engine)).as("a dry run touches nothing").isEqualTo(pids);

            ReplaceAllReport upgrade = engine.replaceAll(next, QEMU_AS_INSTALLED, null, WINDOW, ProgressListener.NONE);
            assertThat(upgrade.build()).isEqualTo(new BuildInfo("9.9", "next"));
            assertThat(ours(upgrade)).extracting(Entry::instance, Entry::result)
                    .containsExactly(tuple("a", Result.COMMITTED), tuple("b", Result.COMMITTED),
                            tuple("c", Result.COMMITTED));
            assertThat(ours(upgrade)).allSatisfy(e -> {
                assertThat(e.report().verified()).as("%s verified", e.instance()).isTrue();
                assertThat(e.report().after().pid()).isNotEqualTo(pids.get(e.instance()));
            });
            Map<String, Long> upgraded = pids(engine);
            assertThat(cgroup.holds(upgraded.get("c"))).as("c's new instance in c's cgroup").isTrue();
            assertThat(Files.readAllLines(Path.of("/proc/" + upgraded.get("c") + "/oom_score_adj")))
                    .as("and with c's OOM score adjustment").containsExactly("300");
            assertThat(CpuAffinity.ofThread(vcpuThread(upgraded.get("c")))).as("its vCPU pinned as before")
                    .contains(cpu0);
            assertThat(CpuAffinity.ofThread(vcpuThread(upgraded.get("b")))).as("b's not")
                    .isEqualTo(CpuAffinity.ofThread(upgraded.get("b").intValue()));
            assertThat(cgroup.holds(upgraded.get("b"))).as("b's where b was").isFalse();
            assertThat(ours(upgrade)).allSatisfy(e -> assertThat(e.report().warnings()).isEmpty());
            assertThat(NAMES.stream().map(name -> engine.instance(name).info().shutdownTimeoutS()))
                    .as("each instance's --shutdown-timeout moved with it").containsExactly(7L, 30L, 30L);
            assertThat(NAMES.stream().flatMap(name -> engine.instance(name).info().vms().stream())
                    .map(InstanceInfo.Vm::powerButton)).as("hfguest's power button, enabled, moved with its VM")
                    .containsOnly(InstanceInfo.Vm.POWER_BUTTON_LISTENING);
            assertThat(upgraded).allSatisfy((name, pid) -> assertThat(pid).isNotEqualTo(pids.get(name)));

            ReplaceAllReport again = engine.replaceAll(hfv, QEMU_AS_INSTALLED, null, WINDOW, ProgressListener.NONE);
            assertThat(ours(again)).extracting(Entry::result).containsOnly(Result.SKIPPED);
            assertThat(ours(again)).extracting(Entry::why).containsOnly("it already runs build " + running);
            assertThat(pids(engine)).isEqualTo(upgraded);

            // Ctrl-C during a's remap: a's replacement goes on to its end undisturbed, then the run stops
            Path other = RealInstances.script(dir, "other", "[ \"$1\" = --version ] && { echo 'hfvisor 9.9 (build"
                    + " other)'; exit 0; }\nexec " + RealInstances.hfvisorCommand(null) + " \"$@\"");
            AtomicReference<ReplaceAllReport> result = new AtomicReference<>();
            AtomicReference<Thread> caller = new AtomicReference<>();
            AtomicBoolean sent = new AtomicBoolean();
            Thread console = new Thread(() -> result.set(engine.replaceAll(other, QEMU_AS_INSTALLED, null, WINDOW, p -> {
                if (p.phase().startsWith("a (1 of 3): remap") && sent.compareAndSet(false, true)) {
                    caller.get().interrupt();
                }
            })));
            caller.set(console);
            console.start();
            console.join(TimeUnit.MINUTES.toMillis(5));
            ReplaceAllReport interrupted = result.get();
            assertThat(sent).as("interrupted during a's remap").isTrue();
            assertThat(interrupted.interrupted()).isTrue();
            assertThat(ours(interrupted)).extracting(Entry::instance, Entry::result)
                    .containsExactly(tuple("a", Result.COMMITTED), tuple("b", Result.NOT_REACHED),
                            tuple("c", Result.NOT_REACHED));
            assertThat(ours(interrupted).get(0).report().verified()).as("a's replacement undisturbed").isTrue();
            Map<String, Long> afterInterrupt = pids(engine);
            assertThat(afterInterrupt.get("a")).isNotEqualTo(upgraded.get("a"));
            assertThat(afterInterrupt.get("b")).isEqualTo(upgraded.get("b"));
            assertThat(afterInterrupt.get("c")).isEqualTo(upgraded.get("c"));

            // a build whose second start fails: the standby of b
            Path broken = RealInstances.script(dir, "broken", "[ \"$1\" = --version ] && { echo 'hfvisor 9.9 (build"
                    + " broken)'; exit 0; }\nn=$(( $(cat " + dir + "/starts 2>/dev/null || echo 0) + 1 ))\necho $n > "
                    + dir + "/starts\n[ $n = 2 ] && { echo 'this build cannot start' >&2; exit 1; }\nexec "
                    + RealInstances.hfvisorCommand(null) + " \"$@\"");
            Files.createFile(dir.resolve("0-dead.qmp"));   // a QEMU's QMP socket left behind, as far as a listing goes
            ReplaceAllReport stopped = engine.replaceAll(broken, QEMU_AS_INSTALLED, null, WINDOW, ProgressListener.NONE);
            assertThat(ours(stopped)).extracting(Entry::instance, Entry::qemu, Entry::result)
                    .containsExactly(tuple("0-dead", true, Result.SKIPPED), tuple("a", false, Result.COMMITTED),
                            tuple("b", false, Result.FAILED), tuple("c", false, Result.NOT_REACHED));
            assertThat(ours(stopped).get(0).why()).startsWith("it does not answer: ");
            assertThat(stopped.qemu()).as("no QEMU answers: no binary asked").isNull();
            EngineException failure = stopped.failed().orElseThrow().failure();
            assertThat(failure.getMessage()).contains("this build cannot start");
            assertThat(failure.kind()).isIn(EngineException.Kind.PRECONDITION, EngineException.Kind.ROLLED_BACK);
            Map<String, Long> after = pids(engine);
            assertThat(after.get("a")).isNotEqualTo(afterInterrupt.get("a"));
            assertThat(after.get("b")).as("b runs on where it was").isEqualTo(upgraded.get("b"));
            assertThat(after.get("c")).as("c untouched").isEqualTo(upgraded.get("c"));
            assertThat(engine.list()).extracting(Instance::name).as("no standby left").containsExactlyElementsOf(NAMES);
        } finally {
            for (String name : NAMES) {
                try {
                    engine.stop(name, null);
                } catch (EngineException gone) {
                    // not launched, or already gone: killLeftovers makes sure
                }
            }
            RealInstances.killLeftovers(dir);
            cgroup.close();
        }
    }

    /** The thread of the one vCPU of instance {@code pid}'s VM (named vcpu-VM-0). */
    private static int vcpuThread(long pid) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                if (Files.readString(task.resolve("comm")).startsWith("vcpu-")) {
                    return Integer.parseInt(task.getFileName().toString());
                }
            }
        }
        throw new AssertionError("no vCPU thread in pid " + pid);
    }

    private static Map<String, Long> pids(HfvisorEngine engine) {
        Map<String, Long> pids = new LinkedHashMap<>();
        NAMES.forEach(name -> pids.put(name, engine.instance(name).info().pid()));
        return pids;
    }

    /** The report's entries for this test's socket directory: not the host's other QEMUs ({@code qmp:PATH}, pid N). */
    private static List<Entry> ours(ReplaceAllReport report) {
        return report.instances().stream().filter(e -> !e.instance().startsWith(QemuEngine.PREFIX)
                && !e.instance().startsWith("pid ")).toList();
    }
}
