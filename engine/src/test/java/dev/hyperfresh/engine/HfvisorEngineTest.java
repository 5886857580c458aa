package dev.hyperfresh.engine;


import dev.hyperfresh.engine.EngineException.Kind;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.vmm.control.ControlServer;
import dev.hyperfresh.vmm.control.CutoverReply;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.control.InstanceInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/** The engine's refusals and its bookkeeping, without KVM: a stub instance answers info, nothing else. */
class HfvisorEngineTest {
    @TempDir
    Path dir;

    private HfvisorEngine engine(Path hfvisor) {
        return new HfvisorEngine(new EngineConfig(dir, hfvisor, Duration.ofSeconds(20)));
    }

    private static void refused(ThrowingCallable call, Kind kind, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(EngineException.class,
                e -> assertThat(e.kind()).isEqualTo(kind)).hasMessageContaining(message);
    }

    /** As {@link #refused}, and the failure names the stub (this process) as what runs the VMs now. */
    private static void vmsStayOnTheStub(ThrowingCallable call, Kind kind, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(EngineException.class, e -> {
            assertThat(e.kind()).isEqualTo(kind);
            assertThat(e.vmsOn()).isEqualTo(new VmsOn("demo", ProcessHandle.current().pid()));
        }).hasMessageContaining(message);
    }

    @Test
    void listShowsAnsweringAndStaleSockets() throws Exception {
        Files.createFile(dir.resolve("ghost.sock"));
        try (ControlServer stub = ActiveInstanceStub.serve(dir, "demo")) {
            List<Instance> found = engine(dir.resolve("none")).list();
            assertThat(found).extracting(Instance::name).containsExactly("demo", "ghost");
            assertThat(found.get(0).isStale()).isFalse();
            assertThat(found.get(0).role()).isEqualTo(InstanceInfo.ACTIVE);
            assertThat(found.get(0).info().vms()).extracting(v -> v.name()).containsExactly("web");
            assertThat(found.get(1).problem()).startsWith("stale socket");
        }
    }

    @Test
    void unknownStaleAndBadlyNamedInstancesAreRefused() throws Exception {
        Files.createFile(dir.resolve("ghost.sock"));
        HfvisorEngine engine = engine(dir.resolve("none"));
        refused(() -> engine.instance("nosuch"), Kind.PRECONDITION, "no instance named nosuch");
        refused(() -> engine.instance("ghost"), Kind.PRECONDITION, "instance ghost does not answer");
        refused(() -> engine.replacement("../etc"), Kind.USAGE, "must be letters, digits");
        refused(() -> engine.stop("nosuch", null), Kind.PRECONDITION, "no instance named nosuch");
        refused(() -> engine.reset("nosuch", null), Kind.PRECONDITION, "no instance named nosuch");
    }

    @Test
    void followingOneVmDeliversItsEventsAndTheInstancesForAsLongAsAsked() throws Exception {
        try (ControlServer stub = ActiveInstanceStub.serve(dir, "demo")) {
            HfvisorEngine engine = engine(dir.resolve("none"));
            refused(() -> engine.follow("demo", "nosuch", Duration.ZERO, () -> { }, e -> { }), Kind.PRECONDITION,
                    "no VM named nosuch in instance demo (it has: web)");

            List<Event> events = new CopyOnWriteArrayList<>();
            long start = System.nanoTime();
            engine.follow("demo", "web", Duration.ofMillis(500), () -> {
                stub.publish(Event.console("other", "not this VM's"));
                stub.publish(Event.console("web", "hello"));
                stub.publish(Event.handover("remap", 50, 0, 0));
            }, events::add);
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(500).toNanos());
            assertThat(events).extracting(Event::vm, Event::kind).containsExactly(
                    tuple("web", Event.CONSOLE), tuple(null, Event.HANDOVER));
        }
    }

    @Test
    void launchRefusesBadSpecsBeforeStartingAnything() {
        HfvisorEngine engine = engine(dir.resolve("none"));
        refused(() -> engine.launch(new LaunchRequest("x", List.of("name=web,mem=lots,cpus=1")),
                ProgressListener.NONE), Kind.USAGE, "not a size: 'lots'");
        refused(() -> engine.launch(new LaunchRequest("x", List.of()), ProgressListener.NONE), Kind.USAGE,
                "at least one VM");
        refused(() -> engine.launch(new LaunchRequest("x", List.of("name=a,mem=64M,cpus=1", "name=a,mem=64M,cpus=1")),
                ProgressListener.NONE), Kind.USAGE, "two VMs are named a");
        assertThat(dir.resolve("x.log")).doesNotExist();
    }

    @Test
    void launchedGuestsKeepTheirConsoleOutOfTheLogUnlessAsked() {
        assertThat(HfvisorEngine.quietConsole("name=web,mem=64M,cpus=1")).isEqualTo(
                "name=web,mem=64M,cpus=1,console=none");
        assertThat(HfvisorEngine.quietConsole("name=web,mem=64M,cmdline=cpus=1 console=ttyS0")).isEqualTo(
                "name=web,mem=64M,console=none,cmdline=cpus=1 console=ttyS0");
        assertThat(HfvisorEngine.quietConsole("name=web,console=stdout,cmdline=x")).isEqualTo(
                "name=web,console=stdout,cmdline=x");
    }

    @Test
    void launchReportsAnHfvisorThatDiesWithItsLog() throws Exception {
        Path fake = script("dies", "echo 'hfvisor: /dev/kvm: No such file or directory' >&2; exit 1");
        refused(() -> engine(fake).launch(new LaunchRequest("x", List.of("name=web,mem=64M,cpus=1")),
                ProgressListener.NONE), Kind.FAILED, "exited with status 1 before answering");
        assertThat(Files.readString(dir.resolve("x.log"))).contains("/dev/kvm: No such file");
    }

    @Test
    void stepsOutOfOrderSayWhatToRunFirst() throws Exception {
        try (ControlServer stub = ActiveInstanceStub.serve(dir, "demo")) {
            HfvisorEngine engine = engine(dir.resolve("none"));
            Replacement r = engine.replacement("demo");
            assertThat(r.step()).isEqualTo(Replacement.Step.NONE);
            vmsStayOnTheStub(() -> r.remap(ProgressListener.NONE), Kind.PRECONDITION,
                    "remap needs a standby: run `standby` first");
            vmsStayOnTheStub(() -> r.cutover(ProgressListener.NONE), Kind.PRECONDITION,
                    "cutover needs a remapped standby: run `standby`, then `remap`");
            vmsStayOnTheStub(r::rollback, Kind.PRECONDITION, "nothing to roll back");
            refused(() -> r.standby(dir.resolve("missing-launcher"), ProgressListener.NONE), Kind.USAGE,
                    "is not an executable file");
            assertThat(engine.replacement("demo")).as("kept across calls").isSameAs(r);
        }
    }

    @Test
    void aLauncherThatStartsNoStandbyChangesNothingAndSaysSo() throws Exception {
        Path notHfvisor = script("not-hfvisor", "echo \"usage: $0\" >&2; exit 2");
        try (ControlServer stub = ActiveInstanceStub.serve(dir, "demo")) {
            Replacement r = engine(dir.resolve("none")).replacement("demo");
            vmsStayOnTheStub(() -> r.standby(notHfvisor, ProgressListener.NONE), Kind.PRECONDITION,
                    "exited with status 2");
            vmsStayOnTheStub(() -> r.replace(notHfvisor, Duration.ofSeconds(1), ProgressListener.NONE),
                    Kind.PRECONDITION, "nothing was changed: the VMs run on in demo (pid "
                            + ProcessHandle.current().pid() + ")");
            assertThat(r.step()).isEqualTo(Replacement.Step.NONE);
            assertThat(dir.resolve("demo-next-1.log")).content().contains("--standby --name demo-next-1");
        }
    }

    @Test
    void remapRollbackAndARolledBackCutoverLeaveNoStandbyBehind() throws Exception {
        Path fakeStandby = script("fake-hfvisor", "exec " + ProcessHandle.current().info().command().orElse("java")
                + " -cp '" + System.getProperty("java.class.path") + "' " + FakeStandbyMain.class.getName() + " \"$@\"");
        try (ControlServer stub = ActiveInstanceStub.serve(dir, "demo")) {
            HfvisorEngine engine = engine(fakeStandby);
            Replacement r = engine.replacement("demo");
            List<String> phases = new java.util.concurrent.CopyOnWriteArrayList<>();

            StandbyReport standby = r.standby(null, p -> phases.add(p.phase()));
            assertThat(standby.standby().name()).isEqualTo("demo-next-1");
            assertThat(engine.list()).extracting(Instance::name, Instance::role)
                    .contains(org.assertj.core.groups.Tuple.tuple("demo-next-1", InstanceInfo.STANDBY));
            refused(() -> r.cutover(ProgressListener.NONE), Kind.PRECONDITION,
                    "cutover needs a remapped standby: run `remap` first");
            assertThat(r.remap(ProgressListener.NONE).bytesCopied()).isZero();
            assertThat(r.step()).isEqualTo(Replacement.Step.REMAPPED);
            r.rollback();
            assertThat(r.step()).isEqualTo(Replacement.Step.NONE);
            assertThat(ProcessHandle.of(standby.standby().pid())).as("standby process gone").isEmpty();

            StandbyReport second = r.standby(null, ProgressListener.NONE);
            r.remap(ProgressListener.NONE);
            CutoverReply cutover = r.cutover(ProgressListener.NONE);
            assertThat(cutover.committed()).isFalse();
            assertThat(cutover.reason()).contains("could not restore");
            assertThat(r.step()).isEqualTo(Replacement.Step.NONE);
            assertThat(ProcessHandle.of(second.standby().pid())).as("standby process gone").isEmpty();
            assertThat(phases).contains("standby");
            assertThat(engine.history()).singleElement().satisfies(h -> {
                assertThat(h.outcome()).isEqualTo("rolled-back");
                assertThat(h.phasesUs()).containsKeys("standby", "remap", "pause", "save");
                assertThat(h.verified()).isNull();
            });

            // A cutover whose reply is an error: the engine finds the VMs still on the old instance, says so, and
            // the history has it too.
            r.standby(null, ProgressListener.NONE);
            r.remap(ProgressListener.NONE);
            vmsStayOnTheStub(() -> r.cutover(ProgressListener.NONE), Kind.ROLLED_BACK, "the cutover broke off");
            assertThat(engine.history()).hasSize(2).last().satisfies(h -> {
                assertThat(h.outcome()).isEqualTo("rolled-back");
                assertThat(h.reason()).contains("the cutover broke off").contains("web running");
                assertThat(h.blackoutUs()).isEqualTo(-1);
            });
        }
    }

    private Path script(String name, String body) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }
}
