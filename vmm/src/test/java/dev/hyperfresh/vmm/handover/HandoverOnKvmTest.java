package dev.hyperfresh.vmm.handover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.sys.UnixSocket;
import dev.hyperfresh.vmm.control.ControlException;
import dev.hyperfresh.vmm.control.FrameChannel;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.control.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live handovers between real hfvisor processes on KVM, judged by hfguest itself: every heartbeat once, no memory
 * or canary error, TSC never backwards — and, when an instance dies at each step, the VM still runs on exactly one.
 */
@RequiresKvm
class HandoverOnKvmTest {
    private static final Duration PATIENCE = Duration.ofMinutes(3);
    private static final int REPLACEMENTS = Integer.getInteger("hyperfresh.replacements", 3);
    private static final int COPY_REPLACEMENTS = Integer.getInteger("hyperfresh.copy-replacements", 2);

    @TempDir
    Path dir;
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private HfvisorProcess active(String name, String... vms) throws Exception {
        List<String> args = new ArrayList<>();
        for (String vm : vms) {
            args.add("--vm");
            args.add(vm);
        }
        return track(HfvisorProcess.start(dir, name, args.toArray(String[]::new)));
    }

    private HfvisorProcess standby(String name, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--standby"));
        args.addAll(List.of(extra));
        return track(HfvisorProcess.start(dir, name, args.toArray(String[]::new)));
    }

    private <T extends AutoCloseable> T track(T t) {
        cleanup.add(t);
        return t;
    }

    private ControlClient subscribe(Path socket, HeartbeatTrail trail) {
        ControlClient c = track(ControlClient.connect(socket));
        c.subscribe(trail);
        return c;
    }

    private static JsonNode request(Path socket, String op, String field, String value) {
        try (ControlClient c = ControlClient.connect(socket)) {
            var h = Json.object().put("op", op);
            if (field != null) {
                h.put(field, value);
            }
            return c.request(h).header();
        }
    }

    private static JsonNode cutover(Path socket) {
        return request(socket, "handover-cutover", null, null).get("cutover");
    }

    private static JsonNode prepare(Path socket, Path target) {
        return request(socket, "handover-prepare", "target", target.toString()).get("prepare");
    }

    /** A copy-mode prepare whose cutover compares the RAM checksums of both sides. */
    private static JsonNode prepareCopy(Path socket, Path target) {
        try (ControlClient c = ControlClient.connect(socket)) {
            return c.request(Json.object().put("op", "handover-prepare").put("target", target.toString())
                    .put("memory", "copy").put("verify", true)).header().get("prepare");
        }
    }

    private static InstanceInfo info(Path socket) {
        try (ControlClient c = ControlClient.connect(socket)) {
            return c.info();
        }
    }

    @Test
    void busyTwoVcpuGuestIsReplacedRepeatedlyWithEveryHeartbeatIntact() throws Exception {
        HfvisorProcess current = active("live", "name=g,mem=256M,cpus=2,console=none,cmdline=cpus=2 mem_pct=50");
        Path socket = current.socket();
        HeartbeatTrail trail = new HeartbeatTrail("g");
        subscribe(socket, trail);
        trail.awaitMore(2, 5, PATIENCE);
        for (int i = 1; i <= REPLACEMENTS; i++) {
            HfvisorProcess next = standby("live-next-" + i);
            assertThat(info(next.socket()).role()).isEqualTo(InstanceInfo.STANDBY);
            subscribe(next.socket(), trail);
            JsonNode prepared = prepare(socket, next.socket());
            assertThat(prepared.path("bytesCopied").asLong()).isZero();
            assertThat(prepared.path("memoryBytes").asLong()).isEqualTo(256L << 20);
            JsonNode cut = cutover(socket);
            assertThat(cut.path("outcome").asText()).as("cutover %d: %s", i, cut).isEqualTo("committed");
            assertThat(cut.path("blackoutUs").asLong()).isPositive();
            System.out.printf("replacement %d: blackout %d us, phases %s, state %d bytes%n", i,
                    cut.path("blackoutUs").asLong(), cut.path("phasesUs"), cut.path("stateBytes").asLong());
            assertThat(current.awaitExit(PATIENCE)).as("old instance exits after the commit").isTrue();
            assertThat(current.process().exitValue()).as(current.log()).isZero();
            InstanceInfo now = info(socket);
            assertThat(now.pid()).as("the socket now leads to the new instance").isEqualTo(next.pid());
            assertThat(now.name()).isEqualTo("live");
            assertThat(now.role()).isEqualTo(InstanceInfo.ACTIVE);
            assertThat(now.vms()).singleElement().satisfies(v -> assertThat(v.state()).isEqualTo("running"));
            trail.awaitMore(2, 5, PATIENCE);
            current = next;
        }
        trail.assertIntact(2);
        System.out.printf("largest guest-visible gap over %d replacements: %d TSC cycles%n", REPLACEMENTS,
                trail.maxGapCycles());
    }

    @Test
    void busyGuestIsReplacedByPreCopyWithEqualChecksumsAndEveryHeartbeatIntact() throws Exception {
        long ram = 64L << 20;
        HfvisorProcess current = active("copy", "name=g,mem=64M,cpus=2,console=none,cmdline=cpus=2 mem_pct=50");
        Path socket = current.socket();
        HeartbeatTrail trail = new HeartbeatTrail("g");
        subscribe(socket, trail);
        trail.awaitMore(2, 3, PATIENCE);
        for (int i = 1; i <= COPY_REPLACEMENTS; i++) {
            HfvisorProcess next = standby("copy-next-" + i);
            subscribe(next.socket(), trail);
            JsonNode prepared = prepareCopy(socket, next.socket());
            assertThat(prepared.path("memory").asText()).isEqualTo("copy");
            assertThat(prepared.path("fdsPassed").asInt()).as("only the ledger is passed").isEqualTo(1);
            assertThat(prepared.path("bytesCopied").asLong()).as("round 0 sends all RAM").isGreaterThanOrEqualTo(ram);
            JsonNode cut = cutover(socket);
            assertThat(cut.path("outcome").asText()).as("cutover %d: %s", i, cut).isEqualTo("committed");
            assertThat(cut.path("checksums")).singleElement().satisfies(c ->
                    assertThat(c.path("target").asLong()).as("CRC32C of g's RAM there and here")
                            .isEqualTo(c.path("source").asLong()));
            assertThat(cut.path("phasesUs").has("copy")).isTrue();
            System.out.printf("copy replacement %d: prepare %d bytes in %d rounds; cutover %d bytes in %d rounds,"
                            + " blackout %d us, phases %s%n", i, prepared.path("bytesCopied").asLong(),
                    prepared.path("rounds").asInt(), cut.path("bytesCopied").asLong(), cut.path("rounds").asInt(),
                    cut.path("blackoutUs").asLong(), cut.path("phasesUs"));
            assertThat(current.awaitExit(PATIENCE)).as("old instance exits after the commit").isTrue();
            assertThat(info(socket).pid()).isEqualTo(next.pid());
            trail.awaitMore(2, 3, PATIENCE);
            current = next;
        }
        trail.assertIntact(2);
    }

    @Test
    void twoVmsMoveInOneCutover() throws Exception {
        HfvisorProcess old = active("pair", "name=a,mem=128M,cpus=1,console=none,cmdline=cpus=1 mem_pct=20",
                "name=b,mem=64M,cpus=1,console=none,cmdline=cpus=1 mem_pct=20");
        HeartbeatTrail a = new HeartbeatTrail("a");
        HeartbeatTrail b = new HeartbeatTrail("b");
        subscribe(old.socket(), a);
        subscribe(old.socket(), b);
        a.awaitMore(1, 3, PATIENCE);
        b.awaitMore(1, 3, PATIENCE);
        HfvisorProcess next = standby("pair-next");
        subscribe(next.socket(), a);
        subscribe(next.socket(), b);
        assertThat(prepare(old.socket(), next.socket()).path("fdsPassed").asInt()).isEqualTo(3);
        assertThat(cutover(old.socket()).path("outcome").asText()).isEqualTo("committed");
        a.awaitMore(1, 5, PATIENCE);
        b.awaitMore(1, 5, PATIENCE);
        assertThat(info(old.socket()).vms()).extracting(InstanceInfo.Vm::name).containsExactly("a", "b");
        a.assertIntact(1);
        b.assertIntact(1);
    }

    /** Runs one handover in which {@code standbyArgs}/{@code oldArgs} inject a fault; returns the cutover reply. */
    private record Outcome(HfvisorProcess old, HfvisorProcess standby, HeartbeatTrail trail, JsonNode cutover) {
    }

    private Outcome faulty(String name, String[] oldArgs, String... standbyArgs) throws Exception {
        return faulty(name, false, oldArgs, standbyArgs);
    }

    private Outcome faulty(String name, boolean copy, String[] oldArgs, String... standbyArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--vm", "name=g,mem=64M,cpus=1,console=none,cmdline=cpus=1"));
        args.addAll(List.of(oldArgs));
        HfvisorProcess old = track(HfvisorProcess.start(dir, name, args.toArray(String[]::new)));
        HeartbeatTrail trail = new HeartbeatTrail("g");
        subscribe(old.socket(), trail);
        trail.awaitMore(1, 3, PATIENCE);
        HfvisorProcess next = standby(name + "-next", standbyArgs);
        subscribe(next.socket(), trail);
        if (copy) {
            prepareCopy(old.socket(), next.socket());
        } else {
            prepare(old.socket(), next.socket());
        }
        JsonNode cut;
        try {
            cut = cutover(old.socket());
        } catch (ControlException e) {
            cut = null;
        } catch (RuntimeException oldDied) {
            cut = null;
        }
        return new Outcome(old, next, trail, cut);
    }

    @Test
    void standbyKilledDuringRestoreRollsBack() throws Exception {
        Outcome o = faulty("f-restore", new String[0], "--fault", "during-restore");
        assertThat(o.cutover().path("outcome").asText()).as(o.cutover().toString()).isEqualTo("rolled-back");
        assertRunsOnlyOn(o.old(), o.standby(), o.trail());
    }

    @Test
    void copyModeStandbyKilledDuringRestoreRollsBackAfterAVerifiedCopy() throws Exception {
        Outcome o = faulty("f-copy", true, new String[0], "--fault", "during-restore");
        assertThat(o.cutover().path("outcome").asText()).as(o.cutover().toString()).isEqualTo("rolled-back");
        assertThat(o.cutover().path("checksums")).singleElement().satisfies(c ->
                assertThat(c.path("target").asLong()).isEqualTo(c.path("source").asLong()));
        assertRunsOnlyOn(o.old(), o.standby(), o.trail());
    }

    @Test
    void standbyKilledJustBeforeResumeRollsBack() throws Exception {
        Outcome o = faulty("f-resume", new String[0], "--fault", "before-resume");
        assertThat(o.cutover().path("outcome").asText()).as(o.cutover().toString()).isEqualTo("rolled-back");
        assertRunsOnlyOn(o.old(), o.standby(), o.trail());
    }

    @Test
    void oldKilledAfterOfferingIsTakenOverByTheStandby() throws Exception {
        Outcome o = faulty("f-offer", new String[] {"--fault", "after-offer"});
        assertThat(o.cutover()).as("the old instance died before it could answer").isNull();
        assertRunsOnlyOn(o.standby(), o.old(), o.trail(), o.old().socket());
        assertThat(info(o.old().socket()).pid()).as("the standby took the old name").isEqualTo(o.standby().pid());
    }

    @Test
    void standbyKilledAfterRemapLeavesTheVmRunning() throws Exception {
        HfvisorProcess old = active("f-adopt", "name=g,mem=64M,cpus=1,console=none,cmdline=cpus=1");
        HeartbeatTrail trail = new HeartbeatTrail("g");
        subscribe(old.socket(), trail);
        trail.awaitMore(1, 3, PATIENCE);
        HfvisorProcess next = standby("f-adopt-next", "--fault", "after-adopt");
        assertThatThrownBy(() -> prepare(old.socket(), next.socket())).isInstanceOf(ControlException.class)
                .hasMessageContaining("closed the connection during remap");
        assertThatThrownBy(() -> cutover(old.socket())).hasMessageContaining("no handover is prepared");
        assertRunsOnlyOn(old, next, trail);
    }

    @Test
    void incompatibleStandbyIsRefusedBeforeAnyPause() throws Exception {
        HfvisorProcess old = active("f-compat", "name=g,mem=64M,cpus=1,console=none,cmdline=cpus=1");
        HeartbeatTrail trail = new HeartbeatTrail("g");
        subscribe(old.socket(), trail);
        trail.awaitMore(1, 3, PATIENCE);
        HfvisorProcess next = standby("f-compat-next", "--fault", "old-state-reader");
        assertThatThrownBy(() -> prepare(old.socket(), next.socket())).isInstanceOf(ControlException.class)
                .hasMessageContaining("standby refused").hasMessageContaining("saved-state format 1.0 is not readable");
        assertRunsOnlyOn(old, next, trail);
    }

    @Test
    void abortAndAClientThatVanishesMidCutoverDoNoHarm() throws Exception {
        HfvisorProcess old = active("f-client", "name=g,mem=64M,cpus=1,console=none,cmdline=cpus=1");
        HeartbeatTrail trail = new HeartbeatTrail("g");
        subscribe(old.socket(), trail);
        trail.awaitMore(1, 3, PATIENCE);
        HfvisorProcess first = standby("f-client-a");
        prepare(old.socket(), first.socket());
        request(old.socket(), "handover-abort", null, null);
        assertThat(first.awaitExit(PATIENCE)).as("an aborted standby exits").isTrue();
        assertThat(info(old.socket()).vms().get(0).state()).isEqualTo("running");

        HfvisorProcess second = standby("f-client-b");
        subscribe(second.socket(), trail);
        prepare(old.socket(), second.socket());
        try (FrameChannel vanishing = new FrameChannel(UnixSocket.connect(old.socket()))) {
            vanishing.send(Json.object().put("v", 1).put("op", "handover-cutover").put("id", 1), List.of());
        }
        assertThat(old.awaitExit(PATIENCE)).as("the cutover completes without its client").isTrue();
        trail.awaitMore(1, 5, PATIENCE);
        assertThat(info(old.socket()).pid()).isEqualTo(second.pid());
        trail.assertIntact(1);
    }

    /** The VM runs on {@code owner} (heartbeats continue, intact), and {@code other} has exited. */
    private static void assertRunsOnlyOn(HfvisorProcess owner, HfvisorProcess other, HeartbeatTrail trail)
            throws Exception {
        assertRunsOnlyOn(owner, other, trail, owner.socket());
    }

    private static void assertRunsOnlyOn(HfvisorProcess owner, HfvisorProcess other, HeartbeatTrail trail,
                                         Path socket) throws Exception {
        assertThat(other.awaitExit(PATIENCE)).as("the other instance exits: %s", other.log()).isTrue();
        assertThat(owner.process().isAlive()).as("the owner lives: %s", owner.log()).isTrue();
        trail.awaitMore(1, 5, PATIENCE);
        trail.assertIntact(1);
        assertThat(info(socket).vms()).singleElement()
                .satisfies(v -> assertThat(v.state()).isEqualTo("running"));
    }
}
