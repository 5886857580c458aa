package dev.hyperfresh.vmm.handover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import dev.hyperfresh.testkit.FileHolders;
import dev.hyperfresh.testkit.HostCommand;
import dev.hyperfresh.testkit.HugePagePool;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.Hfvisor;
import dev.hyperfresh.vmm.control.MemoryMode;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmConfig;
import dev.hyperfresh.vmm.vm.VmNic;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.sys.ImageFile;
import dev.hyperfresh.sys.ProcStatus;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.TapDevice;
import dev.hyperfresh.sys.UnixSocket;
import dev.hyperfresh.vmm.control.ControlException;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.control.FrameChannel;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.control.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.groups.Tuple;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
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

    /** A console in a few lines: sends handover-prepare (argv 1: old socket, 2: standby socket), prints, exits. */
    private static final String PREPARE_AND_EXIT = """
            import json, socket, struct, sys
            s = socket.socket(socket.AF_UNIX)
            s.connect(sys.argv[1])
            h = json.dumps({"v": 1, "op": "handover-prepare", "id": 1, "target": sys.argv[2]}).encode()
            s.sendall(struct.pack(">II", 4 + len(h), len(h)) + h)
            def read(n):
                b = b""
                while len(b) < n:
                    b += s.recv(n - len(b))
                return b
            total, hlen = struct.unpack(">II", read(8))
            print(read(hlen).decode()); read(total - 4 - hlen)
            """;

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
                        vm.memory().regions(), vm.guestCpuid().entries(), vm.msrIndices(), false, null, null, null, null);
                Offer offer = new Offer(1, "old", "/old.sock", "v", "b", new Offer.Formats(StateCodec.MAJOR,
                        StateCodec.MINOR, VcpuSnapshot.FORMAT_VERSION, VmSnapshot.FORMAT_VERSION), here.tscKhz(),
                        List.of(o), MemoryMode.REMAP, false, false, null, null);
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
    void largeGuestWithPopulatedMemoryMovesWithoutCopyingAndOnlyWhatItTouched() throws Exception {
        HfvisorProcess old = active("large", "name=big,mem=" + LARGE + ",cpus=1,console=none,cmdline=cpus=1 mem_pct=20");
        HeartbeatTrail trail = new HeartbeatTrail("big");
        subscribe(old.socket(), trail);
        trail.awaitMore(1, 20, PATIENCE);
        HfvisorProcess next = standby("large-next");
        subscribe(next.socket(), trail);
        long touched = sharedPagesBytes(old);   // the guest's pages the old instance maps (and a tiny ledger)
        JsonNode prepared = prepare(old.socket(), next.socket());
        assertThat(prepared.path("bytesCopied").asLong()).isZero();
        long mapped = sharedPagesBytes(next);
        assertThat(mapped).as("the standby maps the guest's RAM itself").isGreaterThanOrEqualTo(touched);
        assertThat(mapped).as("and only the pages the guest has: the rest stays unallocated, as it was")
                .isLessThan(prepared.path("memoryBytes").asLong() / 2);
        JsonNode cut = cutover(old.socket());
        assertThat(cut.path("outcome").asText()).isEqualTo("committed");
        assertThat(cut.path("stateBytes").asLong()).as("only state moves, not memory").isLessThan(1 << 20);
        trail.awaitMore(1, 10, PATIENCE);
        trail.assertIntact(1);
    }

    /**
     * A guest on huge pages moves by remap without a page more (the standby maps the same hugetlbfs file), and a
     * copy, which needs as many again, from a pool that has none left is refused before anything stops: it runs on.
     */
    @Test
    void hugePageGuestMovesByRemapWithoutAPageMoreAndACopyFromAnEmptyPoolIsRefused() throws Exception {
        track(HugePagePool.withFree(32));
        HfvisorProcess old = active("huge", "name=h,mem=64M,cpus=1,hugepages,console=none,cmdline=cpus=1 mem_pct=50");
        Path socket = old.socket();
        HeartbeatTrail trail = new HeartbeatTrail("h");
        subscribe(socket, trail);
        trail.awaitMore(1, 3, PATIENCE);
        assertThat(HugePagePool.free()).as("the guest holds the whole pool").isZero();

        HfvisorProcess copy = standby("huge-copy");
        assertThatThrownBy(() -> prepareCopy(socket, copy.socket())).isInstanceOf(ControlException.class)
                .hasMessageContaining("huge pages");
        assertRunsOnlyOn(old, copy, trail, socket);

        HfvisorProcess next = standby("huge-next");
        subscribe(next.socket(), trail);
        assertThat(prepare(socket, next.socket()).path("bytesCopied").asLong()).isZero();
        assertThat(cutover(socket).path("outcome").asText()).isEqualTo("committed");
        assertThat(old.awaitExit(PATIENCE)).as("old instance exits after the commit").isTrue();
        trail.awaitMore(1, 5, PATIENCE);
        trail.assertIntact(1);
        assertThat(HugePagePool.free()).as("the guest's RAM is still the one copy").isZero();
        assertThat(info(socket).vms()).singleElement().satisfies(v -> {
            assertThat(v.state()).isEqualTo("running");
            assertThat(v.residentBytes()).isEqualTo(64L << 20);
        });
    }

    /** The shared memory pages {@code instance} has mapped: its guests' RAM (memfds), the ledger. */
    private static long sharedPagesBytes(HfvisorProcess instance) throws java.io.IOException {
        return ProcStatus.number(Long.toString(instance.pid()), "RssShmem").orElseThrow() * 1024;
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
            assertThat(prepared.path("fdsPassed").asInt()).as("only the ledger, the name lock and the offer signal are passed")
                    .isEqualTo(3);
            // round 0 sends the pages the guest has (its workers sweep half its RAM); the rest is zeros on both sides,
            // which the checksums below prove
            assertThat(prepared.path("bytesCopied").asLong()).isGreaterThanOrEqualTo(ram / 4);
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
        assertThat(prepare(old.socket(), next.socket()).path("fdsPassed").asInt()).as("ledger, 2 memfds, name lock, offer signal")
                .isEqualTo(5);
        assertThat(cutover(old.socket()).path("outcome").asText()).isEqualTo("committed");
        // the old instance sends its subscribers its last heartbeats before it exits; until then one of them may
        // still be on its way while the new instance's arrive (a CI run once saw seq 146 missing at this point)
        assertThat(old.awaitExit(PATIENCE)).as("old instance exits after the commit").isTrue();
        a.awaitMore(1, 5, PATIENCE);
        b.awaitMore(1, 5, PATIENCE);
        assertThat(info(old.socket()).vms()).extracting(InstanceInfo.Vm::name).containsExactly("a", "b");
        a.assertIntact(1);
        b.assertIntact(1);
    }

    /**
     * A VM's disk images and taps move as their open descriptors, each image's flock and the tap's attachment with
     * them: a process trying to take them all along (as a second hypervisor started on them by mistake would) never
     * gets one, not while a standby that received them dies, not across the cutover, and gets them once the
     * instance that ends up with the VM stops.
     */
    @Test
    void aVmsDisksAndNicsMoveWithItTheirImagesAndTapsNeverFreeOnTheWay() throws Exception {
        Path data = Files.write(dir.resolve("data.img"), new byte[1 << 20]);
        Path base = Files.write(dir.resolve("base.img"), new byte[512 << 10]);
        String tap = "hfho" + ProcessHandle.current().pid() % 100000;
        HfvisorProcess old = active("disk", "name=g,mem=64M,cpus=1,console=none,disk=" + data + ",disk-ro=" + base
                + ",net=" + tap + "/52:54:00:00:00:42,cmdline=cpus=1 mem_pct=20");
        HeartbeatTrail trail = new HeartbeatTrail("g");
        subscribe(old.socket(), trail);
        trail.awaitMore(1, 3, PATIENCE);
        List<String> taken = new CopyOnWriteArrayList<>();
        AtomicBoolean probing = new AtomicBoolean(true);
        Thread prober = new Thread(() -> {
            while (probing.get()) {
                for (Path image : List.of(data, base)) {
                    try (ImageFile got = ImageFile.open(image, false)) {
                        taken.add(image + " taken at " + System.nanoTime());
                    } catch (IllegalStateException inUse) {
                        LockSupport.parkNanos(50_000);
                    }
                }
                try (TapDevice got = TapDevice.open(tap)) {
                    taken.add(tap + " taken at " + System.nanoTime());
                } catch (SysException inUse) {
                    LockSupport.parkNanos(50_000);
                }
            }
        });
        prober.start();
        try {
            HfvisorProcess dies = standby("disk-adopt", "--fault", "after-adopt");
            assertThatThrownBy(() -> prepare(old.socket(), dies.socket())).isInstanceOf(ControlException.class);
            assertThat(dies.awaitExit(PATIENCE)).isTrue();
            HfvisorProcess next = standby("disk-next");
            subscribe(next.socket(), trail);
            assertThat(prepare(old.socket(), next.socket()).path("fdsPassed").asInt())
                    .as("ledger, memfd, two images, a tap, name lock, offer signal").isEqualTo(7);
            assertThat(cutover(old.socket()).path("outcome").asText()).isEqualTo("committed");
            assertThat(old.awaitExit(PATIENCE)).isTrue();
            trail.awaitMore(1, 3, PATIENCE);
            trail.assertIntact(1);
            assertThat(info(old.socket()).vms()).singleElement().satisfies(vm -> {
                assertThat(vm.disks()).containsExactly(new InstanceInfo.Disk(data.toString(), false),
                        new InstanceInfo.Disk(base.toString(), true));
                assertThat(vm.nics()).containsExactly(new InstanceInfo.Nic(tap, "52:54:00:00:00:42", false));
            });
            probing.set(false);
            prober.join();
            assertThat(taken).as("no image or tap was ever free").isEmpty();
            assertThat(FileHolders.of(data)).as("the new instance holds the images").containsExactly(next.pid());
            assertThat(FileHolders.of(base)).containsExactly(next.pid());
            next.close();
        } finally {
            probing.set(false);
            prober.join();
        }
        try (ImageFile free = ImageFile.open(data, false); ImageFile alsoFree = ImageFile.open(base, false);
             TapDevice freeTap = TapDevice.open(tap)) {
            assertThat(free.size() + alsoFree.size()).as("free once their last instance ended")
                    .isEqualTo((1 << 20) + (512 << 10));
        }
    }

    /**
     * A VM whose tap the operator deleted under it (its NIC has no link since) is still replaced: the standby takes the
     * detached queue as it is, and `info` says the tap is gone; refusing would leave the VM on an instance that can
     * never be replaced.
     */
    @Test
    void aVmWhoseTapWasDeletedIsStillReplaced() throws Exception {
        String tap = "hfgn" + ProcessHandle.current().pid() % 100000;
        HfvisorProcess old = active("gone", "name=g,mem=64M,cpus=1,console=none,net=" + tap
                + ",cmdline=cpus=1 mem_pct=20");
        HeartbeatTrail trail = new HeartbeatTrail("g");
        subscribe(old.socket(), trail);
        trail.awaitMore(1, 3, PATIENCE);
        HostCommand.ip("link", "del", tap);
        assertThat(info(old.socket()).vms()).singleElement().satisfies(vm ->
                assertThat(vm.nics()).singleElement().satisfies(n -> assertThat(n.gone()).isTrue()));
        HfvisorProcess next = standby("gone-next");
        subscribe(next.socket(), trail);
        prepare(old.socket(), next.socket());
        assertThat(cutover(old.socket()).path("outcome").asText()).isEqualTo("committed");
        assertThat(old.awaitExit(PATIENCE)).isTrue();
        trail.awaitMore(1, 3, PATIENCE);
        trail.assertIntact(1);
        assertThat(info(old.socket()).vms()).singleElement().satisfies(vm -> assertThat(vm.nics())
                .containsExactly(new InstanceInfo.Nic(tap, VmNic.defaultMac(tap), true)));
        next.close();
    }

    /**
     * A guest that resets itself every ~100 ms across replacements: what it boots moves with it, so it boots again on
     * each new instance; a cutover that meets a reset under way rolls back (the VM resets on where it is), any other
     * commits; the operator's reset works on the last instance. Never two instances with it, never none.
     */
    @Test
    void aGuestThatKeepsResettingIsReplacedAndBootsAgainOnTheNewInstance() throws Exception {
        HfvisorProcess current = active("reboots", "name=r,mem=64M,cpus=1,console=none,"
                + "cmdline=cpus=1 mem_pct=5 reset_after_ms=100");
        List<String> boots = new CopyOnWriteArrayList<>();
        Consumer<Event> bootLines = bootLinesInto(boots);
        Path socket = current.socket();   // the instance's name: the new instance answers there after a commit
        track(ControlClient.connect(socket)).subscribe(bootLines);
        awaitSize(boots, 2);
        int committed = 0;
        for (int i = 1; i <= Math.max(2, REPLACEMENTS / 20); i++) {
            HfvisorProcess next = standby("reboots-next-" + i);
            track(ControlClient.connect(next.socket())).subscribe(bootLines);
            prepare(socket, next.socket());
            JsonNode cut = cutover(socket);
            String outcome = cut.path("outcome").asText();
            System.out.printf("replacement %d of a resetting guest: %s %s%n", i, outcome, cut.path("reason"));
            if (outcome.equals("committed")) {
                committed++;
                assertThat(current.awaitExit(PATIENCE)).as("old instance exits after the commit").isTrue();
                current = next;
            } else {
                assertThat(outcome).as("%s", cut).isEqualTo("rolled-back");
                assertThat(cut.path("reason").asText()).contains("resetting");
                assertThat(next.awaitExit(PATIENCE)).as("the standby a rollback dropped exits").isTrue();
            }
            assertThat(info(socket).vms()).singleElement().satisfies(vm ->
                    assertThat(vm.state()).isIn("running", "resetting"));
            int seen = boots.size();
            awaitSize(boots, seen + 2);   // it boots again where it now runs, twice
        }
        assertThat(committed).isPositive();
        int seen = boots.size();
        try (ControlClient c = ControlClient.connect(socket)) {
            c.reset("r");
        }
        awaitSize(boots, seen + 1);
    }

    /**
     * Copy mode with a guest that resets between the prepare and the cutover: the reset's boot rewrites RAM behind
     * KVM's dirty log (hfvisor loads the image), and those pages must reach the standby too — the cutover compares
     * both sides' RAM checksums.
     */
    @Test
    void aGuestResetDuringAPreCopyArrivesWhole() throws Exception {
        HfvisorProcess current = active("copy-reboots", "name=r,mem=64M,cpus=1,console=none,"
                + "cmdline=cpus=1 mem_pct=20 reset_after_ms=100");
        Path socket = current.socket();
        List<String> boots = new CopyOnWriteArrayList<>();
        Consumer<Event> bootLines = bootLinesInto(boots);
        track(ControlClient.connect(socket)).subscribe(bootLines);
        awaitSize(boots, 2);
        for (int attempt = 1; ; attempt++) {
            HfvisorProcess next = standby("copy-reboots-next-" + attempt);
            track(ControlClient.connect(next.socket())).subscribe(bootLines);
            prepareCopy(socket, next.socket());
            awaitSize(boots, boots.size() + 1);   // a reset after the live copy began
            JsonNode cut = cutover(socket);
            System.out.printf("copy replacement of a resetting guest: %s%n", cut);
            if (cut.path("outcome").asText().equals("rolled-back") && attempt < 3) {
                assertThat(cut.path("reason").asText()).contains("resetting");
                continue;
            }
            assertThat(cut.path("outcome").asText()).isEqualTo("committed");
            assertThat(cut.path("checksums")).singleElement().satisfies(c ->
                    assertThat(c.path("target").asLong()).as("CRC32C of r's RAM there and here")
                            .isEqualTo(c.path("source").asLong()));
            assertThat(current.awaitExit(PATIENCE)).isTrue();
            break;
        }
        awaitSize(boots, boots.size() + 1);
    }

    /** Collects the VM name of each hfguest boot line among the events. */
    private static Consumer<Event> bootLinesInto(List<String> boots) {
        return e -> {
            if (e.kind().equals(Event.GUEST_LINE) && e.fields().path("type").asText().equals(GuestLine.BOOT)) {
                boots.add(e.vm());
            }
        };
    }

    private static void awaitSize(List<?> list, int size) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (list.size() < size) {
            assertThat(System.nanoTime()).as("waiting for %d boot lines, saw %d", size, list.size())
                    .isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /**
     * The first answer on a new instance's socket (what `launch` waits for) comes only once every VM of its command
     * line runs: a `stop --vm db` sent that moment finds db, and the instance runs web on. (It used to serve before
     * creating its VMs: "no VM named db", or an instance that counted no VM left and exited.)
     */
    @Test
    void aVmCanBeStoppedTheMomentItsInstanceAnswers() throws Exception {
        HfvisorProcess old = track(HfvisorProcess.spawn(dir, "early", Map.of(),
                "--vm", "name=web,mem=32M,cpus=1,console=none,cmdline=cpus=1 mem_pct=20",
                "--vm", "name=db,mem=32M,cpus=1,console=none,cmdline=cpus=1 mem_pct=20"));
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!Files.exists(old.socket())) {
            assertThat(old.process().isAlive()).as("hfvisor runs: %s", old.log()).isTrue();
            assertThat(System.nanoTime() - deadline).as("hfvisor binds its socket: %s", old.log()).isNegative();
            Thread.sleep(1);   // not a spin: in the nested KVM the starting hfvisor needs every CPU there is
        }

        // The very first connection, as soon as the socket exists (it may exist a moment before it listens).
        while (true) {
            try (ControlClient c = ControlClient.connect(old.socket())) {
                c.request(Json.object().put("op", "stop").put("vm", "db"));
                break;
            } catch (SysException notListeningYet) {
                assertThat(System.nanoTime() - deadline).as("hfvisor listens: %s", old.log()).isNegative();
            }
        }

        assertThat(info(old.socket()).vms()).extracting(InstanceInfo.Vm::name, InstanceInfo.Vm::state)
                .containsExactly(Tuple.tuple("web", "running"), Tuple.tuple("db", "stopped"));
        HeartbeatTrail web = new HeartbeatTrail("web");
        subscribe(old.socket(), web);
        web.awaitMore(1, 3, PATIENCE);
        web.assertIntact(1);
    }

    /**
     * Issue 14's reproduced freeze: a stopped VM beside a running one made the cutover fail after pausing the running
     * one, which then stayed paused for good. A stopped VM does not move (the prepare reply names it), a paused one
     * moves and stays paused, the running one moves and runs.
     */
    @Test
    void aStoppedAndAPausedVmNeverFreezeTheirRunningNeighbour() throws Exception {
        HfvisorProcess old = active("mixed", "name=web,mem=64M,cpus=1,console=none,cmdline=cpus=1 mem_pct=20",
                "name=db,mem=32M,cpus=1,console=none,cmdline=cpus=1 mem_pct=20",
                "name=cache,mem=32M,cpus=1,console=none,cmdline=cpus=1 mem_pct=20");
        HeartbeatTrail web = new HeartbeatTrail("web");
        HeartbeatTrail cache = new HeartbeatTrail("cache");
        subscribe(old.socket(), web);
        subscribe(old.socket(), cache);
        web.awaitMore(1, 3, PATIENCE);
        cache.awaitMore(1, 3, PATIENCE);
        request(old.socket(), "stop", "vm", "db");
        request(old.socket(), "pause", "vm", "cache");
        HfvisorProcess next = standby("mixed-next");
        subscribe(next.socket(), web);
        subscribe(next.socket(), cache);

        JsonNode prepared = prepare(old.socket(), next.socket());
        assertThat(prepared.path("vms").findValuesAsText("name")).containsExactly("web", "cache");
        assertThat(prepared.path("vms").findValuesAsText("state")).containsExactly("running", "paused");
        assertThat(prepared.path("left").findValuesAsText("name")).containsExactly("db");
        JsonNode cut = cutover(old.socket());
        assertThat(cut.path("outcome").asText()).as("%s", cut).isEqualTo("committed");

        assertThat(old.awaitExit(PATIENCE)).as("the old instance exits: %s", old.log()).isTrue();
        web.awaitMore(1, 5, PATIENCE);
        assertThat(info(old.socket()).vms()).extracting(InstanceInfo.Vm::name, InstanceInfo.Vm::state)
                .containsExactly(Tuple.tuple("web", "running"),
                        Tuple.tuple("cache", "paused"));
        request(old.socket(), "resume", "vm", "cache");
        cache.awaitMore(1, 3, PATIENCE);
        web.assertIntact(1);
        cache.assertIntact(1);
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

        // A stranger (another user) bound a standby's name first: no descriptor, no byte of the offer reaches it.
        assertThat(new ProcessBuilder("chmod", "755", dir.toString()).start().waitFor()).isZero();
        Path open = Files.createDirectory(dir.resolve("open"));
        assertThat(new ProcessBuilder("chmod", "1777", open.toString()).start().waitFor()).isZero();
        Path strangerSocket = open.resolve("chain-stranger.sock");
        Process stranger = startAsNobody(ForeignStandbyMain.class, strangerSocket.toString());
        try (BufferedReader out = new BufferedReader(new InputStreamReader(stranger.getInputStream(), UTF_8))) {
            assertThat(out.readLine()).isEqualTo("listening");
            assertThatThrownBy(() -> prepare(socket, strangerSocket)).isInstanceOf(ControlException.class)
                    .hasMessageContaining("not passing guest RAM").hasMessageContaining("peer uid 65534");
            assertThat(out.readLine()).isEqualTo("received 0 bytes");
        }
        trail.awaitMore(1, 3, PATIENCE);
        assertThat(info(socket).vms()).singleElement().satisfies(v -> assertThat(v.state()).isEqualTo("running"));

        // A console that prepared a handover and went away: the old instance aborts it, its standby exits.
        HfvisorProcess orphaned = standby("chain-orphan");
        Process console = new ProcessBuilder("python3", "-c", PREPARE_AND_EXIT, socket.toString(),
                orphaned.socket().toString()).redirectErrorStream(true).start();
        assertThat(console.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(new String(console.getInputStream().readAllBytes(), UTF_8)).contains("\"ok\":true");
        assertRunsOnlyOn(old, orphaned, trail, socket);

        // A standby whose console went away before it took any VM ends by itself.
        Process shortConsole = new ProcessBuilder("sleep", "600").start();
        cleanup.add(shortConsole::destroyForcibly);
        HfvisorProcess unattended = track(HfvisorProcess.start(dir, "chain-unattended",
                Map.of(Hfvisor.CONSOLE_PID_ENV, String.valueOf(shortConsole.pid())), "--standby"));
        shortConsole.destroyForcibly().waitFor();
        assertThat(unattended.awaitExit(PATIENCE)).as("it ends with its console: %s", unattended.log()).isTrue();

        HfvisorProcess aborted = standby("chain-abort");
        prepare(socket, aborted.socket());
        request(socket, "handover-abort", null, null);
        assertRunsOnlyOn(old, aborted, trail, socket);

        for (String fault : List.of("during-restore", "before-resume", "stall-before-resume")) {
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

        // This one, once it runs the VM, will hang (SIGSTOP) right after offering it onward.
        HfvisorProcess last = standby("chain-last", "--fault", "stall-after-offer");
        subscribe(last.socket(), trail);
        prepare(socket, last.socket());
        trail.allowLostAtKill(2);   // `next` dies at its offer with its last heartbeat events perhaps unsent
        assertThatThrownBy(() -> cutover(socket)).as("the old instance dies before it can answer")
                .isInstanceOf(ControlException.class);
        assertRunsOnlyOn(last, next, trail, socket);
        assertThat(info(socket).pid()).as("the standby took over the name").isEqualTo(last.pid());

        // The old instance hangs with the VM offered: after 30 s the standby takes it by itself. Woken again, the old
        // one finds the ledger RUNNING, reports the commit and exits.
        HfvisorProcess after = standby("chain-after-stall");
        subscribe(after.socket(), trail);
        prepare(socket, after.socket());
        try (FrameChannel hanging = new FrameChannel(UnixSocket.connect(socket))) {
            hanging.send(Json.object().put("v", 1).put("op", "handover-cutover").put("id", 1), List.of());
            trail.awaitMore(1, 3, PATIENCE);
            assertThat(new ProcessBuilder("kill", "-CONT", String.valueOf(last.pid())).start().waitFor()).isZero();
            assertThat(hanging.receive().header().path("cutover").path("outcome").asText()).isEqualTo("committed");
        }
        assertRunsOnlyOn(after, last, trail, socket);
        assertThat(info(socket).pid()).isEqualTo(after.pid());
    }

    /** Starts a JDK-only test class as nobody (CI and the nested KVM run as root), from the test-classes directory. */
    private Process startAsNobody(Class<?> main, String arg) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classes = Path.of(main.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", java, "-cp",
                classes, main.getName(), arg).redirectErrorStream(true).start();
        cleanup.add(p::destroyForcibly);
        return p;
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
