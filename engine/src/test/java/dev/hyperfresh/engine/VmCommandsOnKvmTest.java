package dev.hyperfresh.engine;

import static dev.hyperfresh.engine.RealInstances.INSTANCE;
import static dev.hyperfresh.engine.RealInstances.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Flock;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.control.ControlServer;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's reset, pause and resume of a real hfvisor's hfguest VM, judged by the guest: reset, it boots again
 * (its boot line, then heartbeats numbered from 0 again, without errors) while the instance says so in state events;
 * paused, a reset or a second pause is refused and it stays paused; resumed, its heartbeats run on from the last.
 * Its control socket deleted, the instance binds it again; its name taken meanwhile, `list` shows it unreachable
 * until it can.
 */
@RequiresKvm
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class VmCommandsOnKvmTest {
    private static final String WEB = RealInstances.vmName("web"), OFF = RealInstances.vmName("off");

    @TempDir
    Path root;

    @Test
    void aResetVmBootsAgainAPausedOneResumesWhereItWasOrFromItsReset() throws Exception {
        Path dir = RealInstances.directory(root, "reset");
        HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, RealInstances.launcher(dir, "hfv", null),
                Duration.ofSeconds(60)));
        engine.launch(new LaunchRequest(INSTANCE, List.of(RealInstances.spec(WEB),
                "reboot=poweroff," + RealInstances.spec(OFF))), ProgressListener.NONE);
        List<Event> events = new CopyOnWriteArrayList<>();
        try (AutoCloseable following = engine.follow(INSTANCE, events::add)) {
            // far enough into its heartbeats that numbering from 0 again can only be a new boot
            awaitAfter(events, 0, e -> heartbeat(e) && e.fields().path("seq").asLong() >= 2);
            int reset = events.size();
            engine.reset(INSTANCE, WEB);

            int boot = awaitAfter(events, reset, e -> Event.GUEST_LINE.equals(e.kind())
                    && GuestLine.BOOT.equals(e.fields().path("type").asText()));
            int beat = awaitAfter(events, boot, VmCommandsOnKvmTest::heartbeat);
            assertThat(events.get(beat).fields().path("seq").asLong()).as("the new boot's first heartbeat").isZero();
            awaitAfter(events, reset, e -> state(e, "running"));
            assertThat(events.stream().skip(reset).filter(e -> Event.STATE.equals(e.kind()))
                    .map(e -> e.fields().path("state").asText())).containsExactly("resetting", "running");
            RealInstances.awaitHeartbeats(engine, WEB, 2);

            assertThatThrownBy(() -> engine.reset(INSTANCE, null)).as("every VM: refused before any is reset")
                    .hasMessage("cannot reset VM " + OFF + " of " + INSTANCE + ": it powers off on a reset"
                            + " (reboot=poweroff): it has nothing to boot again from");

            assertThat(engine.instance(INSTANCE).info().vms()).extracting(InstanceInfo.Vm::powerButton)
                    .as("hfguest enables the power button as it boots").containsOnly(
                            InstanceInfo.Vm.POWER_BUTTON_LISTENING);

            engine.pause(INSTANCE, WEB);
            assertThatThrownBy(() -> engine.pause(INSTANCE, WEB)).hasMessage("cannot pause VM " + WEB + " of "
                    + INSTANCE + ": it is paused");
            assertThat(engine.instance(INSTANCE).info().vms()).extracting(InstanceInfo.Vm::name,
                    InstanceInfo.Vm::state, InstanceInfo.Vm::reboot).containsExactly(
                    tuple(WEB, "paused", "restart"), tuple(OFF, "running", "poweroff"));

            Thread.sleep(500);   // the events of beats before the pause, still on their way
            int resumed = events.size();
            long lastSeq = events.stream().filter(VmCommandsOnKvmTest::heartbeat)
                    .mapToLong(e -> e.fields().path("seq").asLong()).reduce((a, b) -> b).orElseThrow();
            engine.resume(INSTANCE, WEB);
            int next = awaitAfter(events, resumed, VmCommandsOnKvmTest::heartbeat);
            assertThat(events.get(next).fields().path("seq").asLong()).as("it runs on from where it paused")
                    .isEqualTo(lastSeq + 1);
            assertThatThrownBy(() -> engine.resume(INSTANCE, WEB)).hasMessage("cannot resume VM " + WEB + " of "
                    + INSTANCE + ": it is running");

            engine.pause(INSTANCE, WEB);
            int pausedReset = events.size();
            engine.reset(INSTANCE, WEB);
            assertThat(engine.instance(INSTANCE).info().vms()).extracting(InstanceInfo.Vm::state)
                    .as("reset where it is parked: still paused").containsExactly("paused", "running");
            awaitAfter(events, pausedReset, e -> state(e, "paused"));
            engine.resume(INSTANCE, WEB);
            int again = awaitAfter(events, pausedReset, e -> Event.GUEST_LINE.equals(e.kind())
                    && GuestLine.BOOT.equals(e.fields().path("type").asText()));
            assertThat(events.get(awaitAfter(events, again, VmCommandsOnKvmTest::heartbeat)).fields().path("seq")
                    .asLong()).as("resumed, it boots from the reset").isZero();

            int pressed = events.size();
            engine.shutdown(INSTANCE, OFF, PATIENCE);
            awaitAfter(events, pressed, e -> Event.GUEST_LINE.equals(e.kind()) && OFF.equals(e.vm())
                    && e.fields().path("text").asText().startsWith("INFO poweroff reason=power-button"));
            assertThat(engine.instance(INSTANCE).info().vms()).extracting(InstanceInfo.Vm::name,
                    InstanceInfo.Vm::state).as("powered off by its guest, the other runs on").containsExactly(
                    tuple(WEB, "running"), tuple(OFF, "stopped"));
            assertThatThrownBy(() -> engine.shutdown(INSTANCE, OFF, null)).hasMessage("cannot shutdown VM " + OFF
                    + " of " + INSTANCE + ": it is stopped");

            // a clean-up of the socket directory that took the live socket too: the instance binds it again
            long pid = engine.instance(INSTANCE).info().pid();
            Path socket = dir.resolve(INSTANCE + HfvisorEngine.SOCKET_SUFFIX);
            Files.delete(socket);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(socket) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(engine.instance(INSTANCE).info().pid()).as("reachable again").isEqualTo(pid);
            int rebound = events.size();
            awaitAfter(events, rebound, e -> heartbeat(e) && WEB.equals(e.vm()));   // the console's tap goes on too
            // its files gone and the name taken meanwhile (here by this test's lock): `list` shows it unreachable
            Files.delete(socket);
            Files.delete(dir.resolve(INSTANCE + ".lock"));
            try (Fd held = Flock.tryExclusive(dir.resolve(INSTANCE + ".lock")).orElseThrow()) {
                Thread.sleep(3 * ControlServer.WATCH_MS);
                assertThat(socket).doesNotExist();
                assertThat(engine.list()).singleElement().satisfies(i -> {
                    assertThat(i.isUnreachable()).isTrue();
                    assertThat(i.unreachablePid()).isEqualTo(pid);
                    assertThat(i.problem()).contains("hfvisor pid " + pid + " holds the name but has no socket here",
                            "kill -TERM " + pid);
                });
            }
            // the name free again: it binds its socket on its own
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(socket) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(engine.list()).extracting(i -> i.isStale() ? -1 : i.info().pid()).containsExactly(pid);

            // the host ends the instance: its guest is asked to shut down first, and does
            ProcessHandle process = ProcessHandle.of(engine.instance(INSTANCE).info().pid()).orElseThrow();
            int terminated = events.size();
            process.destroy();
            process.onExit().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(events.subList(terminated, events.size())).as("SIGTERM pressed its power button")
                    .anyMatch(e -> Event.GUEST_LINE.equals(e.kind()) && WEB.equals(e.vm())
                            && e.fields().path("text").asText().startsWith("INFO poweroff reason=power-button"));
            assertThat(Files.readString(dir.resolve(INSTANCE + ".log"))).contains("hfvisor: ending: asked " + WEB
                    + " to shut down");
        } finally {
            if (Files.exists(dir.resolve(INSTANCE + HfvisorEngine.SOCKET_SUFFIX))) {
                engine.stop(INSTANCE, null);
            }
            RealInstances.killLeftovers(dir);
        }
    }

    private static boolean heartbeat(Event e) {
        return Event.HEARTBEAT.equals(e.kind()) && WEB.equals(e.vm());
    }

    private static boolean state(Event e, String state) {
        return Event.STATE.equals(e.kind()) && state.equals(e.fields().path("state").asText());
    }

    /** Waits for the first event from index {@code from} on that {@code wanted} takes, and returns its index. */
    private static int awaitAfter(List<Event> events, int from, Predicate<Event> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        for (int i = from; System.nanoTime() < deadline; ) {
            if (i < events.size()) {
                if (wanted.test(events.get(i))) {
                    return i;
                }
                i++;
            } else {
                Thread.sleep(20);
            }
        }
        throw new AssertionError("no such event within " + PATIENCE.toSeconds() + " s after #" + from + ": "
                + events.stream().skip(from).toList());
    }
}
