package dev.hyperfresh.vmm.handover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.control.MemoryMode;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmConfig;
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
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live handovers between real hfvisor processes on KVM, judged by hfguest itself: every heartbeat once, no memory
 * or canary error, TSC never backwards — and, when an instance dies at each step, the VM still runs on exactly one.
 */
@RequiresKvm
@Timeout(value = 40, unit = TimeUnit.MINUTES) // each step starts a JVM: minutes apiece where the CPU is emulated
class HandoverOnKvmTest {
    private static final Duration PATIENCE = Duration.ofMinutes(3);
    /** 100 on a real KVM; the nested KVM of hosts without one emulates every instruction and affords a few. */
    private static final int REPLACEMENTS = Integer.getInteger("hyperfresh.replacements", EmulatedCpu.DETECTED ? 2
            : 100);
    /** Copy mode moves all RAM each time: 10 on a real KVM (what issue 4 asks), 2 on an emulated CPU. */
    private static final int COPY_REPLACEMENTS = Integer.getInteger("hyperfresh.copy-replacements",
            EmulatedCpu.DETECTED ? 2 : 10);
    /** Guest RAM of the large-guest case: 4 GiB on a real KVM, 256 MiB where populating it is emulated. */
    private static final String LARGE = System.getProperty("hyperfresh.large", EmulatedCpu.DETECTED ? "256M" : "4G");

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

    /**
     * The standby's scratch vCPU presents what a VM hfvisor builds presents, which is what an offer carries: it
     * passes the pre-flight on this KVM. (On PVM that differs from KVM_GET_SUPPORTED_CPUID both ways — far more in
     * most words, and no ARCH_CAPABILITIES bit in 7.0 EDX, seen on a PVM host — so neither contains the other.)
     */
    @Test
    void theStandbysScratchVcpuPresentsWhatHfvisorsVmsPresent() {
        long ram = 16L << 20;
        try (Kvm kvm = Kvm.open()) {
            StandbyKvm here = StandbyKvm.probe(kvm);
            assertThat(here.presentedCpuid().find(1, 0)).isPresent();
            assertThat(here.saveableMsrs()).contains(0x10);   // the TSC
            assertThat(here.tscKhz()).isPositive();
            try (VirtualMachine vm = VirtualMachine.adopt(kvm, new VmConfig("cpuid", ram, 1, false, null,
                    VmConfig.HFGUEST), GuestMemory.create("cpuid", ram, false))) {
                Offer.VmOffer o = new Offer.VmOffer("cpuid", ram, 1, false, VmConfig.HFGUEST, "none",
                        vm.memory().regions(), vm.guestCpuid().entries(), vm.msrIndices());
                Offer offer = new Offer(1, "old", "/old.sock", "v", "b", new Offer.Formats(StateCodec.MAJOR,
                        StateCodec.MINOR, VcpuSnapshot.FORMAT_VERSION, VmSnapshot.FORMAT_VERSION), here.tscKhz(),
                        List.of(o), MemoryMode.REMAP);
                assertThat(Preflight.problems(offer, here, Set.of(VmConfig.HFGUEST), StateCodec.MAJOR,
                        new long[] {ram})).isEmpty();
            }
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
    void largeGuestWithPopulatedMemoryMovesWithoutCopying() throws Exception {
        HfvisorProcess old = active("large", "name=big,mem=" + LARGE + ",cpus=1,console=none,cmdline=cpus=1 mem_pct=90");
        HeartbeatTrail trail = new HeartbeatTrail("big");
        subscribe(old.socket(), trail);
        trail.awaitMore(1, 20, PATIENCE);
        HfvisorProcess next = standby("large-next");
        subscribe(next.socket(), trail);
        JsonNode prepared = prepare(old.socket(), next.socket());
        assertThat(prepared.path("bytesCopied").asLong()).isZero();
        assertThat(prepared.path("standbyRssBytes").asLong()).as("the standby maps the guest's RAM itself")
                .isGreaterThan(prepared.path("memoryBytes").asLong() / 2);
        JsonNode cut = cutover(old.socket());
        assertThat(cut.path("outcome").asText()).isEqualTo("committed");
        assertThat(cut.path("stateBytes").asLong()).as("only state moves, not memory").isLessThan(1 << 20);
        trail.awaitMore(1, 10, PATIENCE);
        trail.assertIntact(1);
    }

    /**
     * Pre-copy (copy mode, verified): a standby that dies while restoring makes the old instance roll back, dirty
     * logging off; then the busy guest is replaced by copy again and again, its RAM's checksums equal each time.
     */
    @Test
    void preCopyRollsBackWhenTheStandbyDiesAndReplacesABusyGuestWithEqualChecksums() throws Exception {
        long ram = 64L << 20;
        HfvisorProcess current = active("copy", "name=g,mem=64M,cpus=2,console=none,cmdline=cpus=2 mem_pct=50");
        Path socket = current.socket();
        HeartbeatTrail trail = new HeartbeatTrail("g");
        subscribe(socket, trail);
        trail.awaitMore(2, 3, PATIENCE);

        HfvisorProcess dies = standby("copy-dies", "--fault", "during-restore");
        subscribe(dies.socket(), trail);
        prepareCopy(socket, dies.socket());
        JsonNode rolled = cutover(socket);
        assertThat(rolled.path("outcome").asText()).as(rolled.toString()).isEqualTo("rolled-back");
        assertThat(rolled.path("checksums")).singleElement().satisfies(c ->
                assertThat(c.path("target").asLong()).isEqualTo(c.path("source").asLong()));
        assertThat(dies.awaitExit(PATIENCE)).as("the killed standby is gone").isTrue();
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

    /**
     * One VM through every failure, in a row, so the slow part (starting JVMs) is paid once per step: each time the
     * VM must end up running on exactly one instance with every heartbeat intact.
     */
    @Test
    void everyFailureLeavesTheVmRunningOnExactlyOneInstance() throws Exception {
        HfvisorProcess old = active("chain", "name=g,mem=64M,cpus=1,console=none,cmdline=cpus=1 mem_pct=30");
        Path socket = old.socket();
        HeartbeatTrail trail = new HeartbeatTrail("g");
        subscribe(socket, trail);
        trail.awaitMore(1, 3, PATIENCE);

        HfvisorProcess dies = standby("chain-adopt", "--fault", "after-adopt");
        assertThatThrownBy(() -> prepare(socket, dies.socket())).isInstanceOf(ControlException.class)
                .hasMessageContaining("closed the connection during remap");
        assertThatThrownBy(() -> cutover(socket)).hasMessageContaining("no handover is prepared");
        assertRunsOnlyOn(old, dies, trail, socket);

        HfvisorProcess older = standby("chain-compat", "--fault", "old-state-reader");
        assertThatThrownBy(() -> prepare(socket, older.socket())).isInstanceOf(ControlException.class)
                .hasMessageContaining("standby refused").hasMessageContaining("saved-state format 1.0 is not readable");
        assertRunsOnlyOn(old, older, trail, socket);

        HfvisorProcess aborted = standby("chain-abort");
        prepare(socket, aborted.socket());
        request(socket, "handover-abort", null, null);
        assertRunsOnlyOn(old, aborted, trail, socket);

        for (String fault : List.of("during-restore", "before-resume")) {
            HfvisorProcess killed = standby("chain-" + fault, "--fault", fault);
            subscribe(killed.socket(), trail);
            prepare(socket, killed.socket());
            JsonNode cut = cutover(socket);
            assertThat(cut.path("outcome").asText()).as("%s: %s", fault, cut).isEqualTo("rolled-back");
            assertRunsOnlyOn(old, killed, trail, socket);
        }

        // The next standby will, once it runs the VM, die right after offering it onward (an old-side fault).
        HfvisorProcess next = standby("chain-next", "--fault", "after-offer");
        subscribe(next.socket(), trail);
        prepare(socket, next.socket());
        try (FrameChannel vanishing = new FrameChannel(UnixSocket.connect(socket))) {
            vanishing.send(Json.object().put("v", 1).put("op", "handover-cutover").put("id", 1), List.of());
        }
        assertRunsOnlyOn(next, old, trail, socket);
        assertThat(info(socket).pid()).as("a client that vanished mid-cutover changed nothing").isEqualTo(next.pid());

        HfvisorProcess last = standby("chain-last");
        subscribe(last.socket(), trail);
        prepare(socket, last.socket());
        assertThatThrownBy(() -> cutover(socket)).as("the old instance dies before it can answer")
                .isInstanceOf(ControlException.class);
        assertRunsOnlyOn(last, next, trail, socket);
        assertThat(info(socket).pid()).as("the standby took over the name").isEqualTo(last.pid());
    }

    /** The VM runs on {@code owner} (heartbeats continue, intact), and {@code other} has exited. */
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
