package dev.hyperfresh.vmm.handover;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.sys.CpuAffinity;
import dev.hyperfresh.sys.CpuSplit;
import dev.hyperfresh.sys.EventFd;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.ImageFile;
import dev.hyperfresh.sys.Memfd;
import dev.hyperfresh.sys.MonotonicClock;
import dev.hyperfresh.sys.Pidfd;
import dev.hyperfresh.sys.Poll;
import dev.hyperfresh.sys.ProcStatus;
import dev.hyperfresh.sys.RealtimePriority;
import dev.hyperfresh.sys.TapDevice;
import dev.hyperfresh.vmm.control.Frame;
import dev.hyperfresh.vmm.control.FrameChannel;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.control.Json;
import dev.hyperfresh.vmm.control.MemoryMode;
import dev.hyperfresh.vmm.control.Replies;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.memory.MemoryRegion;
import dev.hyperfresh.vmm.persist.InPlaceState;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.vm.PcDevices;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmConfig;
import dev.hyperfresh.vmm.vm.VmDisk;
import dev.hyperfresh.vmm.vm.VmNic;
import dev.hyperfresh.vmm.vm.VmPci;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The standby's side of one handover (docs/HANDOVER.md), run on the connection the old instance opened with
 * {@code adopt}: pre-flight, co-map the RAM (or, in copy mode, create fresh RAM) and build the VMs, then wait for
 * {@code take} (restore, claim, run), {@code abort}, or the connection's end, where the ledger and the old
 * instance's liveness decide. Meanwhile copy mode's {@code pages} frames fill the RAM and {@code checksum}
 * answers what it holds.
 */
public final class IncomingHandover {
    private static final System.Logger LOG = System.getLogger(IncomingHandover.class.getName());
    private static final Set<String> ADOPTABLE = Set.of(VmConfig.HFGUEST, VmConfig.LINUX);
    private static final long POPULATE_CHUNK = 256L << 20;
    private static final long OLD_EXIT_WAIT_MS = 10_000;
    private static final long OFFER_STALL_MS = Long.getLong("hyperfresh.offer-stall-ms", 30_000);
    private static final int OFFER_POLL_MS = 100;
    /**
     * How long the take spins on the ledger word once the old instance signals that its save started: the offer
     * lands within the save (~0.3 ms), while waking from poll on an idle core costs ~0.15 ms on a virtual host.
     * Not on one CPU, where the spinner would hold the only CPU the saving instance needs.
     */
    private static final long OFFER_SPIN_NANOS = 2_000_000;
    private static final boolean SPIN_FOR_OFFER = Runtime.getRuntime().availableProcessors() > 1;

    private final StandbyHost host;
    private final FrameChannel channel;
    private final List<HostedVm> vms = new ArrayList<>();
    private Offer offer;
    private Ledger ledger;
    private Fd old;
    /** The old instance's name lock, held from the adopt on: the name is never free while the VMs may move here. */
    private Fd nameLock;
    /** The VMs' open disk images, VM by VM and disk by disk as the offer lists them. */
    private List<Fd> images = List.of();
    /** The VMs' taps, VM by VM and interface by interface as the offer lists them. */
    private List<Fd> taps = List.of();
    /** Signalled by the old instance once the offer stands or is withdrawn; null from a build without it. */
    private EventFd offerSignal;
    private volatile boolean oldStalled;
    /** Set once the old instance's decision (take, abort) or its absence is acted on: the offer watch then ends. */
    private volatile boolean decided;
    private Thread offerWatch;
    /** The take's thread has rehearsed the cutover ({@link #spinWhileOld}). */
    private boolean rehearsed;
    /** The CPUs kept for the vCPUs from the adopt on, so the first second after the cutover finds them free. */
    private Optional<CpuSplit> split = Optional.empty();

    private IncomingHandover(StandbyHost host, FrameChannel channel) {
        this.host = host;
        this.channel = channel;
    }

    /** Serves the whole session; returns when the VMs run here or the standby has given up. */
    public static void serve(StandbyHost host, Frame adopt, FrameChannel channel) {
        new IncomingHandover(host, channel).run(adopt);
    }

    private void run(Frame adopt) {
        List<Fd> fds = new ArrayList<>(adopt.fds());
        JsonNode id = adopt.header().get("id");
        try {
            offer = Json.MAPPER.treeToValue(adopt.header().get("offer"), Offer.class);
            int disks = offer == null ? 0 : offer.vms().stream().mapToInt(v -> v.disks().size()).sum();
            int nics = offer == null ? 0 : offer.vms().stream().mapToInt(v -> v.nics().size()).sum();
            if (offer == null || fds.size() != 1 + (offer.memory() == MemoryMode.REMAP ? offer.vms().size() : 0)
                    + disks + nics + (offer.nameLock() ? 1 : 0) + (offer.offerSignal() ? 1 : 0)) {
                throw new IllegalArgumentException("adopt needs an offer and the ledger descriptor, then in remap mode"
                        + " one memfd per VM, then each disk's image and each network interface's tap, then the name"
                        + " lock and the offer signal if the offer says so");
            }
            ledger = Ledger.open(fds.remove(0));
            offerSignal = offer.offerSignal() ? EventFd.adopt(fds.remove(fds.size() - 1)) : null;
            nameLock = offer.nameLock() ? fds.remove(fds.size() - 1) : null;
            List<Fd> tapFds = fds.subList(fds.size() - nics, fds.size());
            taps = new ArrayList<>(tapFds);
            tapFds.clear();
            List<Fd> imageFds = fds.subList(fds.size() - disks, fds.size());
            images = new ArrayList<>(imageFds);
            imageFds.clear();
            old = Pidfd.open((int) offer.oldPid());
            List<String> problems = preflight(fds);
            if (!problems.isEmpty()) {
                throw new IllegalStateException(String.join("; ", problems));
            }
            long populateNanos = adoptAll(fds);
            JitWarmup.run(host.kvm(), offer.vms().stream().mapToInt(Offer.VmOffer::vcpus).max().orElse(1), true);
            split = CpuSplit.keepApart(VirtualMachine.vcpuThreadIds(toResume()));
            ledger.guestCpus(split.map(CpuSplit::guestCpus).orElseGet(BitSet::new));
            LOG.log(INFO, split.map(c -> "CPUs " + c.guestCpus() + " kept for the vCPUs until a second after the"
                    + " cutover").orElse("no CPUs kept for the vCPUs (none left over, or the operator's pinning)"));
            Die.at(FaultPoint.AFTER_ADOPT, host.fault());
            ObjectNode reply = Replies.ok(id).put("populateUs", populateNanos / 1000).put("rssBytes", rssBytes())
                    .put("earlyTake", true).put("offerSoon", SPIN_FOR_OFFER).put("spinMark", SPIN_FOR_OFFER);
            reply.set("target", Json.MAPPER.valueToTree(host.self()));
            channel.send(reply, List.of());
        } catch (JsonProcessingException | RuntimeException e) {
            fds.forEach(Fd::close);
            images.forEach(Fd::close);
            taps.forEach(Fd::close);
            String why = e instanceof JsonProcessingException j ? "malformed offer: " + j.getOriginalMessage()
                    : e.getMessage();
            trySend(Replies.error(id, why));
            discard("refused the handover: " + why);
            return;
        }
        awaitDecision();
    }

    private List<String> preflight(List<Fd> memfds) {
        long[] sizes = offer.memory() == MemoryMode.COPY ? null : memfds.stream().mapToLong(Memfd::size).toArray();
        int readableMajor = host.fault() == FaultPoint.OLD_STATE_READER ? 0 : StateCodec.MAJOR;
        return Preflight.problems(offer, host.standbyKvm(), ADOPTABLE, readableMajor, sizes);
    }

    /** The operator's pinning of the old instance's vCPU threads, on this one's (before any split of its own). */
    private static void pin(VirtualMachine vm, Map<Integer, List<Integer>> pinning) {
        List<Integer> tids = VirtualMachine.vcpuThreadIds(List.of(vm));
        pinning.forEach((index, cpus) -> {
            BitSet set = new BitSet();
            cpus.forEach(set::set);
            if (index >= tids.size() || !CpuAffinity.setThread(tids.get(index), set)) {
                LOG.log(WARNING, "VM " + vm.config().name() + "'s vCPU " + index + " could not be pinned to CPUs "
                        + set + " as on the old instance");
            }
        });
    }

    private long adoptAll(List<Fd> memfds) {
        long total = offer.vms().stream().mapToLong(Offer.VmOffer::memoryBytes).sum();
        long populateNanos = 0;
        long[] before = {0};
        int disk = 0, nic = 0;
        for (int i = 0; i < offer.vms().size(); i++) {
            Offer.VmOffer o = offer.vms().get(i);
            GuestMemory memory = offer.memory() == MemoryMode.COPY
                    ? GuestMemory.create(o.name(), o.memoryBytes(), o.hugePages()) : GuestMemory.adopt(memfds.get(i));
            VirtualMachine vm = null;
            try {
                vm = VirtualMachine.adopt(host.kvm(), new VmConfig(o.name(), o.memoryBytes(), o.vcpus(), o.hugePages(),
                        null, o.guestKind(), o.boot()), memory);
                if (VmConfig.LINUX.equals(o.guestKind())) {
                    PcDevices.attach(vm);   // their state arrives with the VM's at the cutover
                }
                List<VmDisk.Image> attached = new ArrayList<>();
                for (InstanceInfo.Disk d : o.disks()) {
                    attached.add(new VmDisk.Image(Path.of(d.path()), ImageFile.adopt(images.get(disk++)),
                            d.readOnly()));
                }
                List<VmNic.Tap> attachedTaps = new ArrayList<>();
                for (InstanceInfo.Nic n : o.nics()) {
                    TapDevice tap = TapDevice.adopt(taps.get(nic++), n.tap());
                    attachedTaps.add(new VmNic.Tap(tap, n.mac()));
                    if (tap.gone()) {
                        LOG.log(WARNING, "VM " + o.name() + "'s network interface on tap " + n.tap() + ": the tap"
                                + " is gone from the host (deleted); the interface moves without a link");
                    }
                }
                VmPci.attach(vm, attached, attachedTaps);
            } catch (RuntimeException e) {
                if (vm != null) {
                    vm.close();   // and its memory with it
                } else {
                    memory.close();
                }
                throw e;
            }
            vms.add(new HostedVm(vm, o.console()));
            vm.startPaused();
            pin(vm, o.vcpuPinning());
            if (offer.memory() == MemoryMode.COPY) {
                continue;   // the copy's first round writes every page: pre-faulting would only do it twice
            }
            long t = MonotonicClock.nanos();
            long base = before[0];
            List<MemoryRegion> touched = memory.touched();
            memory.populate(touched, POPULATE_CHUNK, done -> progress("populate", (int) (100 * (base + done) / total),
                    base + done));
            vm.preFaultMemory(touched);
            populateNanos += MonotonicClock.nanos() - t;
            before[0] += o.memoryBytes();
        }
        host.host(List.copyOf(vms));
        return populateNanos;
    }

    /**
     * In remap mode this thread only waits from here on, so it waits at real-time priority: a take then wakes it at
     * once even on a busy host (copy mode's page writing must not run that way).
     */
    private void awaitDecision() {
        if (offer.memory() == MemoryMode.REMAP) {
            try (RealtimePriority boost = RealtimePriority.raise()) {
                awaitDecisionAsIs();
            }
        } else {
            awaitDecisionAsIs();
        }
    }

    private void awaitDecisionAsIs() {
        watchForStalledOffer();
        while (true) {
            Frame f;
            try {
                f = channel.receive();
            } catch (RuntimeException e) {
                f = null;
            }
            if (f == null) {
                oldGone();
                return;
            }
            for (Fd fd : f.fds()) {   // a plain loop: a method reference links on its first run, here inside the blackout
                fd.close();
            }
            String op = f.header().path("op").asText();
            if (op.equals("pages")) {
                try {
                    PageWriter.write(f, memories());
                } catch (RuntimeException e) {
                    discard("a pages frame could not be written: " + e.getMessage());
                    return;
                }
                continue;
            }
            if (op.equals("checksum")) {
                ArrayNode crcs = Json.MAPPER.createArrayNode();
                memories().forEach(m -> crcs.add(m.crc32c()));
                ObjectNode reply = Replies.ok(f.header().get("id"));
                reply.set("crc32c", crcs);
                trySend(reply);
                continue;
            }
            if (op.equals("take")) {
                take(f.header().get("id"));
                return;
            }
            if (op.equals("abort")) {
                discard("the old instance aborted the handover");
                trySend(Replies.ok(f.header().get("id")));
                return;
            }
            trySend(Replies.error(f.header().get("id"), "a standby in a handover only takes pages, checksum, take or abort, not "
                    + op));
        }
    }

    /** The VMs the offer has running: the operator's paused ones stay paused here too. */
    private List<VirtualMachine> toResume() {
        List<VirtualMachine> out = new ArrayList<>();
        for (int i = 0; i < vms.size(); i++) {
            if (!offer.vms().get(i).paused()) {
                out.add(vms.get(i).vm());
            }
        }
        return out;
    }

    private List<GuestMemory> memories() {
        return vms.stream().map(h -> h.vm().memory()).toList();
    }

    /** The connection ended without a decision: the VMs are ours only if the old instance offered them and died. */
    private void oldGone() {
        long deadline = MonotonicClock.nanos() + OLD_EXIT_WAIT_MS * 1_000_000;
        while (ledger.owner() == Ledger.Owner.OFFERED && !Pidfd.hasExited(old) && !oldStalled
                && MonotonicClock.nanos() < deadline) {
            sleep(1);
        }
        if ((Pidfd.hasExited(old) || oldStalled) && ledger.owner() == Ledger.Owner.OFFERED) {
            LOG.log(WARNING, "the old instance (pid {0}) {1} after offering its VMs: taking them over",
                    offer.oldPid(), oldStalled ? "stalled for " + OFFER_STALL_MS / 1000 + " s" : "died");
            take(null);
        } else {
            discard("the old instance closed the handover connection (ledger: " + ledger.owner() + ")");
        }
    }

    /**
     * Once the old instance has offered the state it must send {@code take} at once; if the offer stands unanswered
     * for {@link #OFFER_STALL_MS} (the old instance hangs: SIGSTOP, a stuck call), the connection is cut and the
     * standby takes the VMs itself. The ledger keeps that safe: the old instance can then no longer revoke.
     */
    private void watchForStalledOffer() {
        Thread t = new Thread(() -> {
            long offeredSince = 0;
            while (!decided) {
                if (ledger.owner() == Ledger.Owner.OFFERED) {
                    long now = MonotonicClock.nanos();
                    if (offeredSince == 0) {
                        offeredSince = now;
                    } else if (now - offeredSince > OFFER_STALL_MS * 1_000_000) {
                        oldStalled = true;
                        channel.shutdown();
                        return;
                    }
                }
                sleep(100);
            }
        }, "hf-offer-watch");
        t.setDaemon(true);
        t.start();
        offerWatch = t;
    }

    /**
     * Restores (harmless before the claim: nothing runs), claims, runs. {@code id} null: nobody to answer. A take
     * may arrive before the offer it announces (the old instance sends it as it starts pausing, so that this thread
     * is awake when the state lands): it waits for the offer first.
     */
    private void take(JsonNode id) {
        try (RealtimePriority boost = RealtimePriority.raise()) {   // unchanged when awaitDecision raised it
            takeRaised(id);
        }
    }

    private void takeRaised(JsonNode id) {
        decided = true;
        InPlaceState.EarlyRestore early = vms.isEmpty() ? InPlaceState.EarlyRestore.none()
                : vms.get(0).vm().earlyRestore();
        String withdrawn = awaitOffer(early);
        if (withdrawn != null) {
            discard(withdrawn);
            trySend(Replies.error(id, withdrawn));
            return;
        }
        long received = MonotonicClock.nanos();
        ledger.stamp(CutoverStep.TAKE_RECEIVED, received);
        for (int i = 0; i < vms.size(); i++) {
            if (!offer.vms().get(i).paused()) {
                vms.get(i).vm().standByToResume();
            }
        }
        try {
            List<ByteBuffer> blobs = ledger.states();
            if (blobs.size() != vms.size()) {
                throw new IllegalStateException("the ledger holds " + blobs.size() + " VM states for " + vms.size()
                        + " VMs");
            }
            long advance = MonotonicClock.nanos() - ledger.pausedAtNanos();
            for (int i = 0; i < vms.size(); i++) {
                VirtualMachine vm = vms.get(i).vm();
                vm.restoreState(blobs.get(i), advance, i == 0 ? early : InPlaceState.EarlyRestore.none());
            }
            Die.at(FaultPoint.DURING_RESTORE, host.fault());
        } catch (RuntimeException e) {
            discard("restoring the offered state failed: " + e.getMessage());
            trySend(Replies.error(id, "restoring the offered state failed: " + e.getMessage()));
            return;
        }
        long restored = MonotonicClock.nanos();
        ledger.stamp(CutoverStep.RESTORED, restored);
        if (!ledger.transition(Ledger.Owner.OFFERED, Ledger.Owner.CLAIMED)) {
            String why = "the old instance withdrew its offer (ledger: " + ledger.owner() + ")";
            discard(why);
            trySend(Replies.error(id, why));
            return;
        }
        ledger.stamp(CutoverStep.CLAIMED);
        Die.at(FaultPoint.BEFORE_RESUME, host.fault());
        if (!ledger.transition(Ledger.Owner.CLAIMED, Ledger.Owner.RUNNING)) {
            discard("the old instance revoked the claim (ledger: " + ledger.owner() + ")");
            return;
        }
        Die.at(FaultPoint.AFTER_COMMIT, host.fault());
        ledger.stamp(CutoverStep.RUNNING);
        List<VirtualMachine> resumed = toResume();
        VirtualMachine.resumeAll(resumed);
        ledger.stamp(CutoverStep.RESUMED);
        // What follows (taking the name, the log line, the reply: cold code here) would otherwise run at real-time
        // priority ahead of the vCPUs it just resumed, once they are back to normal priority at their first exit.
        RealtimePriority.lowerCurrentThread();
        VirtualMachine.guestFirstAfterCutover(resumed, split);   // before their first exit lowers them to normal priority
        // 0 when no vCPU ran within 10 s: the blackout is then unknown, never a made-up figure.
        long firstRun = resumed.isEmpty() ? restored : Long.MAX_VALUE;
        for (VirtualMachine vm : resumed) {   // a plain loop: a lambda's call site links on its first run
            long ran = vm.awaitFirstRunNanos(10_000);
            firstRun = ran > 0 ? Math.min(firstRun, ran) : firstRun;
        }
        firstRun = firstRun == Long.MAX_VALUE ? 0 : firstRun;
        ledger.stamp(CutoverStep.FIRST_RUN, firstRun);
        host.becomeActive(offer.oldName(), Path.of(offer.oldSocket()), nameLock,
                offer.shutdownTimeoutMs() == null ? null : Duration.ofMillis(offer.shutdownTimeoutMs()),
                offer.serviceManager());
        nameLock = null;   // the instance holds it now
        Die.at(FaultPoint.BEFORE_REPLY, host.fault());
        LOG.log(INFO, "took over {0} VM(s) from {1} (pid {2})", vms.size(), offer.oldName(), offer.oldPid());
        ledger.stamp(CutoverStep.REPLIED);
        trySend(Replies.ok(id));
        closeHandles();
    }

    /**
     * Waits for the ledger to say OFFERED, blocked on the offer signal and the old instance's pidfd at once, at the
     * real-time priority the take runs at: the wake-up then costs microseconds, not a scheduler tick; signalled, it
     * spins and restores {@code early} what is written. Returns why no offer will come (the old instance withdrew it
     * or died first), or null once it stands.
     */
    private String awaitOffer(InPlaceState.EarlyRestore early) {
        while (true) {
            Ledger.Owner owner = ledger.owner();
            if (owner == Ledger.Owner.OFFERED) {
                return null;
            }
            if (owner != Ledger.Owner.OLD) {
                return "the old instance withdrew before offering the VMs (ledger: " + owner + ")";
            }
            int woke = offerSignal == null ? Poll.readable(1, old) : Poll.readable(OFFER_POLL_MS, offerSignal.fd(), old);
            if (woke == 0 && offerSignal != null) {
                offerSignal.read();   // taken, so that the next poll sleeps again
                spinWhileOld(early);
                continue;
            }
            if (woke >= 0 && (offerSignal == null || woke == 1) && ledger.owner() == Ledger.Owner.OLD) {
                return "the old instance died before offering the VMs (ledger: OLD)";
            }
        }
    }

    /**
     * Spins for the offer, restoring the first VM's vCPUs as the old instance writes their state (it saves the
     * others meanwhile): the save and the restore overlap instead of following each other. The first time, it
     * rehearses the path first ({@link JitWarmup#rehearse}): the old instance waits for the spinning mark before it
     * pauses anything, so the rehearsal costs no blackout.
     */
    private void spinWhileOld(InPlaceState.EarlyRestore early) {
        if (SPIN_FOR_OFFER && !rehearsed) {
            rehearsed = true;
            JitWarmup.rehearse();
        }
        long until = System.nanoTime() + OFFER_SPIN_NANOS;
        ledger.markStandbySpinning();
        int restoredUpTo = 0;
        while (SPIN_FOR_OFFER && ledger.owner() == Ledger.Owner.OLD && System.nanoTime() < until) {
            int written = ledger.firstStateWritten();
            if (written > restoredUpTo) {
                restoredUpTo = written;
                early.advance(ledger.firstState(), written, MonotonicClock.nanos() - ledger.pausedAtNanos());
                ledger.stamp(CutoverStep.EARLY_RESTORED);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    private void discard(String why) {
        decided = true;
        split.ifPresent(CpuSplit::close);
        for (HostedVm h : vms) {
            h.vm().close();
        }
        vms.clear();
        closeHandles();
        host.standbyDone(why);
    }

    private void closeHandles() {
        decided = true;
        JitWarmup.release();
        if (offerWatch != null && offerWatch != Thread.currentThread()) {
            try {
                offerWatch.join();   // it reads the ledger: not unmapped under it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (ledger != null) {
            ledger.close();
        }
        if (nameLock != null) {
            nameLock.close();
        }
        if (offerSignal != null) {
            offerSignal.close();
        }
        if (old != null) {
            old.close();
        }
    }

    private void progress(String phase, int percent, long bytes) {
        trySend(Json.object().put("v", 1).put("op", "progress").put("phase", phase).put("percent", percent)
                .put("bytes", bytes));
    }

    private void trySend(ObjectNode header) {
        if (header.has("id") || header.path("op").isTextual()) {
            try {
                channel.send(header, List.of());
            } catch (RuntimeException e) {
                LOG.log(INFO, "handover peer gone: " + e.getMessage());
            }
        }
    }

    private static long rssBytes() {
        try {
            return ProcStatus.number("self", "VmRSS").orElse(-1) * 1024;
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
