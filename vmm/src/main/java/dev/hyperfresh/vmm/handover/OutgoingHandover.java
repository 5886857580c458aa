package dev.hyperfresh.vmm.handover;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.sys.CpuAffinity;
import dev.hyperfresh.sys.CpuSplit;
import dev.hyperfresh.sys.EventFd;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.MonotonicClock;
import dev.hyperfresh.sys.Pidfd;
import dev.hyperfresh.sys.RealtimePriority;
import dev.hyperfresh.sys.ServiceManager;
import dev.hyperfresh.sys.Sys;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.UnixSocket;
import dev.hyperfresh.vmm.control.CutoverReply;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.control.Frame;
import dev.hyperfresh.vmm.control.FrameChannel;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.control.InstanceRef;
import dev.hyperfresh.vmm.control.Json;
import dev.hyperfresh.vmm.control.PeerUid;
import dev.hyperfresh.vmm.control.MemoryMode;
import dev.hyperfresh.vmm.control.PrepareRequest;
import dev.hyperfresh.vmm.control.PrepareReply;
import dev.hyperfresh.vmm.persist.InPlaceState;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmDisk;
import dev.hyperfresh.vmm.vm.VmNic;
import dev.hyperfresh.vmm.vm.VmStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The old instance's side of one handover (docs/HANDOVER.md): prepare co-maps the RAM in the standby (or, in copy
 * mode, pre-copies it with {@link PreCopy}), cutover pauses, offers the state through the {@link Ledger} and either
 * commits or rolls back. The ledger decides every ambiguous case, so a lost message or a dead peer can never leave
 * a VM running twice or nowhere.
 */
public final class OutgoingHandover implements AutoCloseable {
    private static final long STATE_ROOM_PER_VM = 1 << 20;
    private static final long REPLY_TIMEOUT_MS = Long.getLong("hyperfresh.reply-wait-ms", 120_000);
    private static final long CLAIM_WAIT_MS = Long.getLong("hyperfresh.claim-wait-ms", 30_000);
    private static final int SIGKILL = 9;
    static final ObjectNode TAKE = Json.object().put("v", 1).put("op", "take").put("id", 2);

    private final FrameChannel channel;
    private final Fd standby;
    private final Ledger ledger;
    /** Wakes the standby, blocked at real-time priority, the moment the offer stands (or is withdrawn before it). */
    private final EventFd offerSignal;
    private final List<HostedVm> vms;
    private final InstanceRef target;
    /** The standby as it answers after a commit: it takes over this instance's name and socket. */
    private final InstanceRef successor;
    private final FaultPoint fault;
    private final Consumer<Event> progress;
    private final PrepareReply prepared;
    private final PreCopy preCopy;
    private static final long SPINNER_WAIT_NANOS = 3_000_000;
    /** The longest sleep between looks for the spinning mark: a standby of an earlier build sets it without a wake. */
    private static final long SPINNER_LOOK_NANOS = 500_000;
    private final boolean verify;
    /** The standby takes an early {@code take}: sent as the pause begins, it waits in the ledger for the offer. */
    private final boolean earlyTake;
    /** The standby asked to be signalled as the save starts too (adopt reply {@code offerSoon}): it then spins. */
    private final boolean offerSoon;
    /** The standby marks the ledger once it spins (adopt reply {@code spinMark}): the pause waits for that. */
    private final boolean spinMark;
    /** The VMs the operator had paused when the standby mapped them: they move paused. */
    private final Set<VirtualMachine> operatorPaused;
    /** The VMs this cutover paused, and so the only ones a rollback resumes. */
    private final List<VirtualMachine> pausedHere = new ArrayList<>();

    private OutgoingHandover(FrameChannel channel, Fd standby, Ledger ledger, EventFd offerSignal, List<HostedVm> vms, InstanceRef target,
                             String selfName, FaultPoint fault, Consumer<Event> progress, PrepareReply prepared,
                             PreCopy preCopy, boolean verify, boolean earlyTake, boolean offerSoon, boolean spinMark,
                             Set<VirtualMachine> operatorPaused) {
        this.channel = channel;
        this.standby = standby;
        this.ledger = ledger;
        this.offerSignal = offerSignal;
        this.vms = vms;
        this.target = target;
        this.successor = new InstanceRef(selfName, target.pid(), target.version(), target.buildId());
        this.fault = fault;
        this.progress = progress;
        this.prepared = prepared;
        this.preCopy = preCopy;
        this.verify = verify;
        this.earlyTake = earlyTake;
        this.offerSoon = offerSoon;
        this.spinMark = spinMark;
        this.operatorPaused = Set.copyOf(operatorPaused);
    }

    /**
     * Identifies the instance handing over; what the standby needs to take its place, its name lock included (it
     * passes to the standby with the VMs, so the name is never free while either process may run them).
     */
    public record Source(String name, Path socket, String version, String buildId, Fd nameLock,
                         Duration shutdownTimeout, Optional<ServiceManager> serviceManager) {
    }

    /**
     * Connects to the standby at the request's target, passes every VM's memfd and waits until it has mapped and
     * pre-populated them — or, in copy mode, has it create fresh RAM and pre-copies into it until few pages are
     * dirty; the VMs run on meanwhile. Throws with the standby's reason if it refuses.
     */
    public static OutgoingHandover prepare(Source self, Kvm kvm, List<HostedVm> vms, PrepareRequest request,
                                           FaultPoint fault, Consumer<Event> progress) {
        Path target = request.target();
        MemoryMode mode = request.memory();
        long start = MonotonicClock.nanos();
        if (vms.isEmpty()) {
            throw new IllegalStateException("this instance has no VM to hand over");
        }
        FrameChannel channel;
        try {
            channel = new FrameChannel(UnixSocket.connect(target));
        } catch (SysException e) {
            throw new IllegalStateException("no standby listens on " + target + " (" + e.getMessage() + ")");
        }
        Fd standby = null;
        Ledger ledger = null;
        EventFd offerSignal = null;
        PreCopy preCopy = null;
        try {
            UnixSocket.PeerCredentials peer = channel.peerCredentials();
            int pid = peer.pid();
            String stranger = PeerUid.refusal(peer.uid(), Sys.C.geteuid()).orElse(null);
            if (stranger != null) {
                throw new IllegalStateException("not passing guest RAM to the process listening on " + target + ": "
                        + stranger);
            }
            standby = Pidfd.open(pid);
            ledger = Ledger.create(STATE_ROOM_PER_VM * vms.size());
            offerSignal = EventFd.create(0);
            Offer offer = offer(self, vms, mode);
            List<Fd> fds = new ArrayList<>();
            fds.add(ledger.fd());
            if (mode == MemoryMode.REMAP) {
                vms.forEach(h -> fds.add(h.vm().memory().memfd()));
            }
            vms.forEach(h -> h.vm().disks().forEach(d -> fds.add(d.device().image().fd())));
            vms.forEach(h -> h.vm().nics().forEach(n -> fds.add(n.device().tap().fd())));
            fds.add(self.nameLock());
            fds.add(offerSignal.fd());
            ObjectNode header = Json.object().put("v", 1).put("op", "adopt").put("id", 1);
            header.set("offer", Json.MAPPER.valueToTree(offer));
            progress.accept(Event.handover(mode.wireName(), 0, 0, micros(start)));
            channel.send(header, List.of(), fds.toArray(Fd[]::new));
            Die.at(FaultPoint.REMAP, fault);
            // While the standby maps, populates and warms up on its side: the two warm-ups overlap, not add up.
            JitWarmup.run(kvm, vms.stream().mapToInt(h -> h.vm().config().vcpus()).max().orElse(1), false);
            Frame reply = awaitReply(channel, start, progress);
            if (reply == null) {
                throw new IllegalStateException("the standby (pid " + pid + ") closed the connection during "
                        + mode.wireName());
            }
            if (!reply.ok()) {
                throw new IllegalStateException("standby refused: " + reply.error());
            }
            JsonNode r = reply.header();
            InstanceRef ref = Json.MAPPER.treeToValue(r.get("target"), InstanceRef.class);
            long memory = vms.stream().mapToLong(h -> h.vm().memory().size()).sum();
            PreCopy.Tally copied = new PreCopy.Tally(0, 0);
            if (mode == MemoryMode.COPY) {
                preCopy = new PreCopy(channel, vms, progress, start);
                try {
                    copied = preCopy.start();
                } catch (RuntimeException e) {
                    throw new IllegalStateException("copying guest RAM to the standby (pid " + pid + ") failed ("
                            + e.getMessage() + ")");
                }
            }
            List<InstanceInfo.Vm> described = vms.stream().map(h -> h.vm().describe(false)).toList();
            PrepareReply prepared = new PrepareReply(ref, described, mode.wireName(), memory, copied.bytes(),
                    copied.rounds(), fds.size(), r.path("populateUs").asLong(), micros(start),
                    r.path("rssBytes").asLong(), List.of(), ledger.guestCpus().stream().boxed().toList(),
                    self.serviceManager().isPresent());
            progress.accept(Event.handover(mode.wireName(), 100, memory, micros(start)));
            return new OutgoingHandover(channel, standby, ledger, offerSignal, List.copyOf(vms), ref, self.name(), fault, progress,
                    prepared, preCopy, request.verify(), r.path("earlyTake").asBoolean(), r.path("offerSoon").asBoolean(),
                    r.path("spinMark").asBoolean(), pausedIn(offer, vms));
        } catch (JsonProcessingException e) {
            stopLogging(preCopy);
            closeAll(channel, standby, ledger, offerSignal);
            throw new IllegalStateException("the standby's adopt reply is malformed: " + e.getOriginalMessage());
        } catch (RuntimeException e) {
            stopLogging(preCopy);
            closeAll(channel, standby, ledger, offerSignal);
            throw e;
        }
    }

    public PrepareReply prepared() {
        return prepared;
    }

    public InstanceRef target() {
        return target;
    }

    /**
     * Pauses every VM, saves and offers the state, tells the standby to take it; returns committed (the standby
     * runs the VMs, which the caller must then release with {@link #releaseAll()}) or rolled back (they run here).
     */
    public CutoverReply cutover() {
        try (RealtimePriority boost = RealtimePriority.raise()) {
            return cutoverRaised();
        }
    }

    private CutoverReply cutoverRaised() {
        long begin = MonotonicClock.nanos();
        PreCopy.Tally copied = new PreCopy.Tally(0, 0);
        if (preCopy != null) {
            try {
                copied = preCopy.converge();
            } catch (RuntimeException e) {
                resumeAll();
                return rolledBack("copying guest RAM to the standby failed: " + e.getMessage(), 0);
            }
        }
        String gone = vanishedSincePrepare();
        if (gone != null) {
            resumeAll();
            return rolledBack(gone + "; nothing was paused", 0, copied, null);
        }
        progress.accept(Event.handover("pause", 0, 0, 0));
        long start = MonotonicClock.nanos();
        long pausedAt = start;
        long paused = start;
        List<InPlaceState.Source> states = new ArrayList<>();
        List<CutoverReply.Checksum> checksums = null;
        long copiedAt;
        long verified;
        try {
            ledger.stamp(CutoverStep.PAUSE_REQUESTED, start);
            // The standby answers nothing else once told to take, so a copy's last round and a verify go first.
            boolean takeNow = earlyTake && preCopy == null && !verify;
            if (takeNow) {
                sendTake();
                if (offerSoon) {
                    offerSignal.signal(1);
                    if (spinMark) {
                        awaitStandbySpinning();
                    }
                }
            }
            Die.at(FaultPoint.PAUSE, fault);
            for (HostedVm h : vms) {
                if (!operatorPaused.contains(h.vm())) {
                    h.vm().requestPause();   // refused (a VM resetting since): nothing of its to undo
                    pausedHere.add(h.vm());
                }
            }
            ledger.stamp(CutoverStep.KICKED);
            // Plain loops from here to the offer: a lambda's call site links on its first run, inside the blackout.
            for (VirtualMachine vm : pausedHere) {
                vm.awaitPaused();
                pausedAt = Math.max(pausedAt, vm.lastParkNanos());
            }
            paused = MonotonicClock.nanos();
            ledger.stamp(CutoverStep.PARKED, pausedAt);
            ledger.stamp(CutoverStep.PAUSED, paused);
            if (preCopy != null) {
                copied = copied.plus(new PreCopy.Tally(preCopy.round(), 1));
            }
            copiedAt = MonotonicClock.nanos();
            if (verify) {
                checksums = checksums();
                if (!checksums.stream().allMatch(CutoverReply.Checksum::equal)) {
                    throw new IllegalStateException("guest RAM differs between here and the standby " + checksums);
                }
            }
            verified = MonotonicClock.nanos();
            if (earlyTake && !takeNow) {
                sendTake();
            }
            if (offerSoon && !takeNow) {
                offerSignal.signal(1);   // the offer follows within the save: waking the standby now hides its wake-up
            }
            Die.at(FaultPoint.SAVE, fault);
            for (HostedVm h : vms) {
                states.add(h.vm().stateInPlace());
            }
            ledger.writeStates(states, pausedAt);
        } catch (RuntimeException e) {
            resumeAll();
            return rolledBack("the cutover failed before the offer: " + e.getMessage(), 0, copied, checksums);
        }
        long saved = MonotonicClock.nanos();
        ledger.stamp(CutoverStep.SAVED, saved);
        if (!ledger.transition(Ledger.Owner.OLD, Ledger.Owner.OFFERED)) {
            throw new IllegalStateException("the handover ledger is in state " + ledger.owner() + ", not OLD");
        }
        Die.at(FaultPoint.AFTER_OFFER, fault);
        long offered = MonotonicClock.nanos();
        offerSignal.signal(1);
        ledger.stamp(CutoverStep.OFFERED, offered);
        Frame reply;
        String failure;
        try {
            if (!earlyTake) {
                sendTake();
            }
            // The VMs are paused meanwhile: a standby that does not answer in time is settled through the ledger.
            reply = awaitReply(channel, start, progress, CLAIM_WAIT_MS);
            ledger.stamp(CutoverStep.REPLY_RECEIVED);
            failure = reply == null ? "the standby closed the connection (it died or gave up)"
                    : reply.ok() ? null : "the standby failed: " + reply.error();
        } catch (RuntimeException e) {
            reply = null;
            failure = "the handover connection failed: " + e.getMessage();
        }
        long stateBytes = ledger.stateBytes();
        if (failure == null) {
            // Committed: what is left here (the reply's figures, their event, the log line; cold code) must not run
            // at real-time priority ahead of the guest's vCPUs, which run in the standby now, maybe on this CPU.
            RealtimePriority.lowerCurrentThread();
            CpuSplit.stayOff(ledger.guestCpus());   // nor on the CPUs the standby keeps for them: for good, it exits
            Die.at(FaultPoint.TAKEN, fault);
            long received = ledger.stamped(CutoverStep.TAKE_RECEIVED);
            long restored = ledger.stamped(CutoverStep.RESTORED);
            long firstRun = ledger.stamped(CutoverStep.FIRST_RUN);
            Map<String, Long> phases = new LinkedHashMap<>();
            if (preCopy != null) {
                phases.put("converge", (start - begin) / 1000);
            }
            phases.put("pause", (paused - start) / 1000);
            if (preCopy != null) {
                phases.put("copy", (copiedAt - paused) / 1000);
            }
            if (verify) {
                phases.put("verify", (verified - copiedAt) / 1000);
            }
            phases.put("save", (saved - verified) / 1000);
            phases.put("offer", (offered - saved) / 1000);
            phases.put("handoff", (received - offered) / 1000);
            phases.put("restore", (restored - received) / 1000);
            if (firstRun > 0) {
                phases.put("resume", (firstRun - restored) / 1000);
            }
            progress.accept(Event.handover("cutover", 100, stateBytes, micros(start)));
            return new CutoverReply(CutoverReply.COMMITTED, null, firstRun > 0 ? (firstRun - pausedAt) / 1000 : -1,
                    stateBytes, phases, ledger.trace(),
                    successor, copied.bytes(), copied.rounds(), checksums);
        }
        return settle(failure, stateBytes, copied, checksums);
    }

    /**
     * Waits, with the guest still running, until the standby spins on the ledger: woken by the take, it needs
     * 0.4-0.6 ms to get there on an idle virtual host (its CPU sleeps), longer than the pause. Spinning when the
     * save begins, it restores each vCPU as soon as it is saved and sees the offer at once. A standby that does not
     * get there within {@link #SPINNER_WAIT_NANOS} finds the offer by its own wake-up, as without this.
     *
     * <p>It sleeps on the mark's word until the standby sets it (a futex both map) instead of spinning: spinning at
     * real-time priority while the standby rehearsed on the other CPU of a 2-CPU host, this thread held the CPU the
     * guest needed, so the guest stopped ~1.1-1.6 ms before the kick and the blackout hid it (ftrace, 2026-12-04,
     * docs/BENCHMARKS.md).
     */
    private void awaitStandbySpinning() {
        long until = System.nanoTime() + SPINNER_WAIT_NANOS;
        long left;
        while (!ledger.standbySpinning() && (left = until - System.nanoTime()) > 0) {
            ledger.awaitStandbySpinning(Math.min(left, SPINNER_LOOK_NANOS));
        }
    }

    private void sendTake() {
        channel.send(TAKE, List.of());
        ledger.stamp(CutoverStep.TAKE_SENT);
    }

    /** Asks the standby for its checksums and computes ours meanwhile; the VMs are paused on both sides. */
    private List<CutoverReply.Checksum> checksums() {
        channel.send(Json.object().put("v", 1).put("op", "checksum").put("id", 4), List.of());
        List<Long> here = vms.stream().map(h -> h.vm().memory().crc32c()).toList();
        Frame reply = awaitReply(channel, MonotonicClock.nanos(), progress);
        if (reply == null || !reply.ok() || reply.header().path("crc32c").size() != vms.size()) {
            throw new IllegalStateException("the standby gave no checksums ("
                    + (reply == null ? "connection closed" : reply.header()) + ")");
        }
        List<CutoverReply.Checksum> out = new ArrayList<>();
        for (int i = 0; i < vms.size(); i++) {
            out.add(new CutoverReply.Checksum(vms.get(i).vm().config().name(), here.get(i),
                    reply.header().get("crc32c").get(i).asLong()));
        }
        return out;
    }

    /**
     * After a failed or unanswered take, the ledger says who owns the VMs. An offer still open is revoked and the
     * VMs resume here. A claim is revoked once its claimant is dead, or when it has not run the VMs within
     * {@link #CLAIM_WAIT_MS}: the claimant may only run them after its own CLAIMED → RUNNING swap, so whichever swap
     * wins decides, and a claimant that lost is then killed (through its pidfd, never by a pid number).
     */
    private CutoverReply settle(String failure, long stateBytes, PreCopy.Tally copied,
                                List<CutoverReply.Checksum> checksums) {
        long deadline = MonotonicClock.nanos() + CLAIM_WAIT_MS * 1_000_000;
        while (true) {
            if (ledger.transition(Ledger.Owner.OFFERED, Ledger.Owner.REVOKED)) {
                resumeAll();
                return rolledBack(failure, stateBytes, copied, checksums);
            }
            Ledger.Owner owner = ledger.owner();
            if (owner == Ledger.Owner.RUNNING) {
                return new CutoverReply(CutoverReply.COMMITTED, "the standby runs the VMs but its reply was lost ("
                        + failure + ")", -1, stateBytes, Map.of(), ledger.trace(), successor, copied.bytes(),
                        copied.rounds(), checksums);
            }
            if (owner == Ledger.Owner.CLAIMED && Pidfd.hasExited(standby)
                    && ledger.transition(Ledger.Owner.CLAIMED, Ledger.Owner.REVOKED)) {
                resumeAll();
                return rolledBack(failure + "; it died after claiming the VMs, before running them", stateBytes,
                        copied, checksums);
            }
            if (owner == Ledger.Owner.CLAIMED && MonotonicClock.nanos() > deadline
                    && ledger.transition(Ledger.Owner.CLAIMED, Ledger.Owner.REVOKED)) {
                Pidfd.sendSignal(standby, SIGKILL);
                resumeAll();
                return rolledBack(failure + "; it claimed the VMs but did not run them within " + CLAIM_WAIT_MS / 1000
                        + " s, so the claim was revoked and the standby killed", stateBytes, copied, checksums);
            }
            sleep(1);
        }
    }

    /**
     * Drops a prepared handover: the standby discards its mappings and exits; the VMs never stopped (copy mode's
     * dirty logging ends).
     */
    public void abort() {
        try {
            channel.send(Json.object().put("v", 1).put("op", "abort").put("id", 3), List.of());
            channel.receive();
        } catch (RuntimeException e) {
            // the standby is gone already: nothing of it is left to drop
        }
        stopLogging(preCopy);
        close();
    }

    /** After a commit: the VMs end here without their guest memory being touched (the standby maps it). */
    public void releaseAll() {
        Die.at(FaultPoint.RELEASE, fault);
        for (HostedVm h : vms) {
            h.vm().handedOver(target.name() + " (pid " + target.pid() + ")");
        }
        for (HostedVm h : vms) {
            h.vm().close();
        }
        close();
    }

    /**
     * The VMs run on here: those this cutover paused resume (one the operator paused stays paused), and copy mode's
     * dirty logging ends.
     */
    private void resumeAll() {
        // Slots are re-registered while every vCPU is still out of KVM_RUN, not under running vCPUs.
        stopLogging(preCopy);
        for (VirtualMachine vm : pausedHere) {
            vm.awaitPaused();   // a pause requested just before the failure completes first, so it can be undone
            if (vm.status() == VmStatus.PAUSED) {
                vm.resume();
            }
        }
        pausedHere.clear();
    }

    /** What each VM is doing here now, as a rollback reports it: looked at, not assumed. */
    private String statesHere() {
        return vms.stream().map(h -> h.vm().config().name() + " "
                + h.vm().status().word()).collect(Collectors.joining(", "));
    }

    /** Why a VM offered at prepare can no longer move (the guest powered it off, or it failed), or null. */
    private String vanishedSincePrepare() {
        for (HostedVm h : vms) {
            VmStatus now = h.vm().status();
            VmStatus offered = operatorPaused.contains(h.vm()) ? VmStatus.PAUSED : VmStatus.RUNNING;
            if (now != offered) {
                return "VM " + h.vm().config().name() + " is " + now.word()
                        + " since the standby mapped it (it was " + offered.word() + ")";
            }
        }
        return null;
    }

    private CutoverReply rolledBack(String reason, long stateBytes) {
        return rolledBack(reason, stateBytes, new PreCopy.Tally(0, 0), null);
    }

    private CutoverReply rolledBack(String reason, long stateBytes, PreCopy.Tally copied,
                                    List<CutoverReply.Checksum> checksums) {
        if (ledger.transition(Ledger.Owner.OLD, Ledger.Owner.REVOKED)) {
            offerSignal.signal(1);   // a standby told to take stops waiting
        }
        progress.accept(Event.handover("rollback", 100, 0, 0));
        Map<String, Long> trace = ledger.trace();
        close();
        return new CutoverReply(CutoverReply.ROLLED_BACK, reason + "; the VMs stay here (" + statesHere() + ")", -1,
                stateBytes, Map.of(), trace, target, copied.bytes(), copied.rounds(), checksums);
    }


    /** Reads frames until the final reply, republishing the standby's interim progress frames. */
    private static Frame awaitReply(FrameChannel channel, long start, Consumer<Event> progress) {
        return awaitReply(channel, start, progress, REPLY_TIMEOUT_MS);
    }

    /**
     * The next reply, relaying progress frames; null when the connection closed or {@code timeoutMs} passed (the
     * connection is then shut down, as if the standby had closed it). The time limit is the socket's own: a watchdog
     * thread started here would be created inside the cutover's blackout, on a CPU the restored vCPUs wait for. It is
     * lifted again on the way out, so that it bounds this wait only (as the watchdog did), not the channel's next.
     */
    private static Frame awaitReply(FrameChannel channel, long start, Consumer<Event> progress, long timeoutMs) {
        long deadline = MonotonicClock.nanos() + timeoutMs * 1_000_000;
        try {
            while (true) {
                long left = (deadline - MonotonicClock.nanos()) / 1_000_000;
                if (left <= 0) {
                    channel.shutdown();
                    return null;
                }
                channel.setReceiveTimeout(left);
                Frame f = channel.receive();
                if (f == null || !"progress".equals(f.header().path("op").textValue())) {
                    return f;
                }
                JsonNode h = f.header();
                progress.accept(Event.handover(h.path("phase").asText(), h.path("percent").asInt(),
                        h.path("bytes").asLong(), micros(start)));
            }
        } catch (FrameChannel.Idle e) {
            channel.shutdown();
            return null;
        } finally {
            channel.setReceiveTimeout(0);
        }
    }

    private static Set<VirtualMachine> pausedIn(Offer offer, List<HostedVm> vms) {
        Set<VirtualMachine> out = new HashSet<>();
        for (int i = 0; i < vms.size(); i++) {
            if (offer.vms().get(i).paused()) {
                out.add(vms.get(i).vm());
            }
        }
        return out;
    }

    private static Offer offer(Source self, List<HostedVm> vms, MemoryMode mode) {
        List<Offer.VmOffer> out = new ArrayList<>();
        int tscKhz = 0;
        for (HostedVm h : vms) {
            VirtualMachine vm = h.vm();
            out.add(new Offer.VmOffer(vm.config().name(), vm.config().memoryBytes(), vm.config().vcpus(),
                    vm.config().hugePages(), vm.config().guestKind(), h.console(), vm.memory().regions(),
                    vm.guestCpuid().entries(), vm.msrIndices(), vm.status() == VmStatus.PAUSED,
                    vm.disks().stream().map(VmDisk::info).toList(), vm.nics().stream().map(VmNic::info).toList(),
                    vm.config().reboot(), pinning(vm)));
            tscKhz = vm.tscKhz();
        }
        return new Offer(ProcessHandle.current().pid(), self.name(), self.socket().toString(), self.version(),
                self.buildId(), new Offer.Formats(StateCodec.MAJOR, StateCodec.MINOR, VcpuSnapshot.FORMAT_VERSION,
                VmSnapshot.FORMAT_VERSION), tscKhz, out, mode, true, true, self.shutdownTimeout().toMillis(),
                self.serviceManager().map(ServiceManager::address).orElse(null));
    }

    /**
     * The vCPUs of {@code vm} whose threads may use fewer CPUs than the process (an operator's taskset): index to
     * CPUs. None while a CPU split of this process's own is in effect, whose sets are not the operator's.
     */
    private static Map<Integer, List<Integer>> pinning(VirtualMachine vm) {
        Optional<BitSet> process = CpuAffinity.ofThread((int) ProcessHandle.current().pid());
        if (CpuSplit.anyOpen() || process.isEmpty()) {
            return Map.of();
        }
        Map<Integer, List<Integer>> pinned = new LinkedHashMap<>();
        List<Integer> tids = VirtualMachine.vcpuThreadIds(List.of(vm));
        for (int i = 0; i < tids.size(); i++) {
            Optional<BitSet> cpus = CpuAffinity.ofThread(tids.get(i));
            if (cpus.isPresent() && !cpus.get().equals(process.get())) {
                pinned.put(i, cpus.get().stream().boxed().toList());
            }
        }
        return pinned;
    }

    private static long micros(long since) {
        return (MonotonicClock.nanos() - since) / 1000;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void stopLogging(PreCopy preCopy) {
        if (preCopy != null) {
            preCopy.stopLogging();
        }
    }

    private static void closeAll(FrameChannel channel, Fd standby, Ledger ledger, EventFd offerSignal) {
        channel.close();
        if (offerSignal != null) {
            offerSignal.close();
        }
        if (standby != null) {
            standby.close();
        }
        if (ledger != null) {
            ledger.close();
        }
    }

    @Override
    public void close() {
        closeAll(channel, standby, ledger, offerSignal);
    }
}
