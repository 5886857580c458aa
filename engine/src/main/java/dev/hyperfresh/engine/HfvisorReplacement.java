package dev.hyperfresh.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.progress.Progress;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.sys.CpuSplit;
import dev.hyperfresh.sys.IoFailure;
import dev.hyperfresh.sys.Succession;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.vmm.control.ControlException;
import dev.hyperfresh.vmm.control.CutoverReply;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.control.InstanceRef;
import dev.hyperfresh.vmm.control.Json;
import dev.hyperfresh.vmm.control.PrepareReply;
import dev.hyperfresh.vmm.heartbeat.CutoverGap;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.persist.VmState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * One instance's replacement over the handover ops of docs/CONTROL-PROTOCOL.md. The old instance does the
 * handover; this side starts the standby, sends the ops in order, relays progress, makes sure a standby that is
 * not taken over is gone, and records the outcome.
 */
final class HfvisorReplacement implements Replacement {
    private static final Duration STANDBY_EXIT_TIMEOUT = Duration.ofSeconds(15);
    /** How long a lost cutover reply waits for an instance to answer for the VMs before calling it unknown. */
    private static final Duration LOST_REPLY_WAIT = Duration.ofSeconds(15);
    /** How long a new instance that closed its connection may take to end before it counts as alive. */
    private static final Duration DEATH_SEEN = Duration.ofMillis(500);

    private final String instance;
    private final HfvisorEngine engine;
    private Step step = Step.NONE;
    private Instance standby;
    /** What started the standby: hfvisor itself, or a wrapper script whose group holds what else it started. */
    private Process standbyLauncher;
    private InstanceRef before;
    private PrepareReply prepared;
    private final Map<String, Long> phasesUs = new LinkedHashMap<>();
    private Map<String, Long> lastSeqBefore = Map.of();
    /** The last committed cutover as the guests saw it, until a verify reports it. */
    private CutoverWatch lastCutover;
    /** The history entry's time of the last committed cutover recorded without a verify, until one reports it. */
    private String lastCutoverRecorded;
    /** What went wrong beside the steps (a history line not written), until {@link #takeWarnings} hands it on. */
    private final List<String> warnings = new ArrayList<>();

    HfvisorReplacement(String instance, HfvisorEngine engine) {
        this.instance = instance;
        this.engine = engine;
    }

    @Override
    public String instance() {
        return instance;
    }

    @Override
    public synchronized Step step() {
        return step;
    }

    @Override
    public synchronized StandbyReport standby(Path launcher, ProgressListener progress) {
        return standby(launcher, progress, () -> { });
    }

    /** {@code whileStarting} runs once the instance is looked up, while the standby's JVM starts. */
    private StandbyReport standby(Path launcher, ProgressListener progress, Runnable whileStarting) {
        switch (step) {
            case STANDBY -> throw refused("standby " + standby.name() + " is already up for " + instance
                    + ": run `remap` next, or `rollback` to drop it");
            case REMAPPED -> throw refused("standby " + standby.name() + " is already remapped for " + instance
                    + ": run `cutover` next, or `rollback` to drop it");
            default -> { }
        }
        dropCutoverWatch();
        Path exe = launcher == null ? engine.hfvisorLauncher() : launcher;
        if (!Files.isExecutable(exe) || Files.isDirectory(exe)) {
            engine.replaceable(instance);   // an instance that is not there is what to say first
            throw EngineException.usage("the launcher " + exe + " is not an executable file");
        }
        long start = System.nanoTime();
        // The standby's JVM starts while this one looks the instance up (its first control connection loads the
        // native bindings): the two overlap on a one-shot replace's path.
        StandbyProcess spawned;
        try {
            spawned = StandbyProcess.start(engine, instance, exe);
        } catch (EngineException e) {
            before = engine.replaceable(instance).ref();
            throw untouched(e.getMessage(), e);
        }
        try {
            before = engine.replaceable(instance).ref();
            whileStarting.run();
        } catch (RuntimeException e) {
            spawned.abandon();
            throw e;
        }
        Instance started;
        try {
            started = spawned.awaitAnswer(progress);
        } catch (EngineException e) {
            throw untouched(e.getMessage(), e);
        }
        standbyLauncher = spawned.launcher();
        long us = (System.nanoTime() - start) / 1000;
        if (!started.isStandby()) {
            standby = started;
            ensureStandbyGone("stop");
            throw untouched(exe + " started " + started.name() + " as " + started.role()
                    + ", not as a standby: is it an hfvisor that knows --standby?", null);
        }
        standby = started;
        phasesUs.clear();
        phasesUs.put("standby", us);
        step = Step.STANDBY;
        return new StandbyReport(started.ref(), exe.toString(), us);
    }

    @Override
    public synchronized PrepareReply remap(ProgressListener progress) {
        engine.replaceable(instance);
        checkRemap();
        try (EventTap tap = new EventTap(engine.instance(instance).socket(), progress, Integer.MAX_VALUE)) {
            return doRemap();
        }
    }

    private void checkRemap() {
        switch (step) {
            case NONE -> throw refused("remap needs a standby: run `standby` first");
            case REMAPPED -> throw refused(instance + " is already remapped to " + standby.name()
                    + ": run `cutover` next, or `rollback`");
            default -> { }
        }
        try {
            Control.query(standby.socket());
        } catch (RuntimeException gone) {
            step = Step.NONE;
            throw untouched("the standby " + standby.name() + " no longer answers: run `standby` again", gone);
        }
    }

    /**
     * The remap; the caller listens to the old instance meanwhile. It goes only to the process this replacement's
     * standby was started for (asked on the same connection, which stays with the process that accepted it): when
     * another console replaced the instance in between, this one drops its standby instead of replacing the new one.
     */
    private PrepareReply doRemap() {
        Path old = engine.instance(instance).socket();
        long start = System.nanoTime();
        JsonNode reply;
        try (ControlClient client = ControlClient.connect(old)) {
            long now = client.info().pid();
            if (now != before.pid()) {
                ensureStandbyGone("stop");
                throw replacedMeanwhile(now);
            }
            reply = client.request(Json.MAPPER.createObjectNode().put("op", "handover-prepare")
                    .put("target", standby.socket().toAbsolutePath().toString())).header();
        } catch (ControlException e) {
            ensureStandbyGone("stop");
            long now;
            try {
                now = Control.query(old).info().pid();
            } catch (RuntimeException nobody) {
                throw EngineException.failed("remap failed (" + e.getMessage() + ") and nothing answers on " + old
                        + " now: the instance died, its VMs with it; the standby is gone; the logs are in "
                        + engine.config().socketDir());
            }
            if (now != before.pid()) {   // another console's cutover ended the process this one was talking to
                throw replacedMeanwhile(now);
            }
            throw new EngineException(EngineException.Kind.ROLLED_BACK, "remap failed: " + e.getMessage()
                    + "; the VMs never stopped and the standby is gone", VmsOn.of(before), e);
        }
        prepared = Control.field(reply, "prepare", PrepareReply.class);
        phasesUs.put("remap", (System.nanoTime() - start) / 1000);
        step = Step.REMAPPED;
        // Into the old instance's cgroups now, its warm-up done, its JVM idle until the cutover: the VMs' limits and
        // accounting, and the scope whose life is theirs, go on with them; in this console's, they would end with it.
        for (String problem : Succession.follow(standby.ref().pid(), before.pid(), prepared.passesService())) {
            warn("the new instance of " + instance + " (pid " + standby.ref().pid() + "): " + problem);
        }
        return prepared;
    }

    @Override
    public Snapshot snapshot(Path saveTo) {
        Instance target = engine.replaceable(instance);
        List<VmState> states;
        try (ControlClient client = ControlClient.connect(target.socket())) {
            states = client.saveState(null);
        } catch (ControlException e) {
            throw EngineException.failed("snapshot of " + instance + " failed: " + e.getMessage());
        }
        long stateBytes = 0;
        List<String> files = new ArrayList<>();
        for (VmState state : states) {
            byte[] encoded = StateCodec.encode(state);
            stateBytes += encoded.length;
            if (saveTo != null) {
                Path file = states.size() == 1 ? saveTo
                        : saveTo.resolveSibling(saveTo.getFileName() + "." + state.vmName());
                write(file, encoded);
                files.add(file.toString());
            }
        }
        long memory = target.info().vms().stream().mapToLong(vm -> vm.memoryBytes()).sum();
        return new Snapshot(instance, states, stateBytes, memory, files.isEmpty() ? null : String.join(",", files));
    }

    @Override
    public synchronized CutoverReply cutover(ProgressListener progress) {
        engine.replaceable(instance);
        checkCutover();
        EventTap tap = new EventTap(engine.instance(instance).socket(), progress, Integer.MAX_VALUE);
        CutoverReply report;
        try (CpuSplit away = CpuSplit.stayOff(guestCpus(prepared))) {
            report = recorded(() -> doCutover(tap));
        }
        if (lastCutover != null) {
            lastCutover.awaitOldExit();   // the step on its own ends with the old instance gone
        }
        record(report, null);
        return report;
    }

    @Override
    public synchronized void rollback() {
        engine.replaceable(instance);
        switch (step) {
            case NONE -> throw refused("nothing to roll back: no standby is prepared for " + instance);
            case REMAPPED -> {
                try {
                    Control.request(engine.instance(instance).socket(), "handover-abort", null);
                } catch (ControlException | EngineException e) {
                    ensureStandbyGone("stop");
                    throw EngineException.failed("rollback of " + instance + ": handover-abort failed ("
                            + e.getMessage() + "); the standby was stopped");
                }
                ensureStandbyGone(null);
            }
            default -> ensureStandbyGone("stop");
        }
    }

    @Override
    public Verification verify(Duration window, ProgressListener progress) {
        engine.replaceable(instance);
        String cutoverAt;
        synchronized (this) {
            cutoverAt = lastCutoverRecorded;
            lastCutoverRecorded = null;
        }
        Verification v = watchLastCutover(window, progress);
        if (cutoverAt != null) {
            engine.historyFile().append(new HistoryVerification(cutoverAt, instance, v.ok(), v.guestGapUs(),
                    v.controlGapUs())).ifPresent(this::warn);
        }
        return v;
    }

    @Override
    public synchronized List<String> takeWarnings() {
        List<String> taken = List.copyOf(warnings);
        warnings.clear();
        return taken;
    }

    private synchronized void warn(String warning) {
        warnings.add(warning);
    }

    /** The verify, for the instance as it is now (`replace` has just cut it over: no need to look it up again). */
    private Verification watchLastCutover(Duration window, ProgressListener progress) {
        Map<String, Long> seqs;
        CutoverWatch watch;
        synchronized (this) {
            seqs = lastSeqBefore;
            watch = lastCutover;
            lastCutover = null;
        }
        if (watch == null) {
            return verify(window, progress, events -> engine.follow(instance, events), seqs, null, Map::of);
        }
        try (watch) {
            return verify(window, progress, watch::follow, seqs, watch.blackoutUs(), watch::gaps);
        }
    }

    /** Watches for {@code window}, and on until every cutover window has its heartbeats (or 10 windows passed). */
    private Verification verify(Duration window, ProgressListener progress,
                                Function<Consumer<Event>, AutoCloseable> follow, Map<String, Long> seqs,
                                Long blackoutUs, Supplier<Map<String, CutoverGap.Figures>> gaps) {
        HeartbeatCheck check = new HeartbeatCheck(seqs);
        long start = System.nanoTime();
        long windowUs = window.toNanos() / 1000;
        try (AutoCloseable events = follow.apply(check::accept)) {
            while (true) {
                long elapsed = (System.nanoTime() - start) / 1000;
                boolean windowOver = elapsed >= windowUs;
                if (windowOver && check.everyCpuHas(2) && !cutoverWindowOpen(gaps.get())
                        || elapsed >= 10 * windowUs) {
                    break;
                }
                progress.onProgress(new Progress("verify", (int) Math.min(100, elapsed * 100 / windowUs), 0,
                        elapsed));
                Thread.sleep(Math.max(1, Math.min(100, (windowUs - elapsed) / 1000)));
            }
        } catch (EngineException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EngineException.failed("verify was interrupted");
        } catch (Exception e) {
            throw EngineException.failed("verify could not follow " + instance + ": " + e.getMessage());
        }
        long elapsedUs = (System.nanoTime() - start) / 1000;
        progress.onProgress(new Progress("verify", 100, 0, elapsedUs));
        return check.result(elapsedUs / 1000, BeatLog.gaps(gaps.get()), blackoutUs);
    }

    private static boolean cutoverWindowOpen(Map<String, CutoverGap.Figures> gaps) {
        return gaps.values().stream().anyMatch(CutoverGap.Figures::open);
    }

    @Override
    public synchronized ReplaceReport replace(Path launcher, Duration verifyWindow, ProgressListener progress) {
        PrepareReply prepare;
        CutoverReply cutover;
        // One tap from the standby's start to the cutover: the control window (the guests' heartbeats over
        // GAP_WINDOW_US before the cutover) is full when the cutover starts; opened at the remap, the cutover waited
        // ~0.1 s for it. The standby answered just now: no second query before the remap.
        AtomicReference<EventTap> tapping = new AtomicReference<>();
        try {
            standby(launcher, progress, () -> tapping.set(new EventTap(engine.instance(instance).socket(), progress,
                    Integer.MAX_VALUE)));
            prepare = doRemap();
        } catch (RuntimeException e) {
            if (tapping.get() != null) {
                tapping.get().close();
            }
            throw e;
        }
        EventTap tap = tapping.get();
        Map<String, Long> phases = new LinkedHashMap<>(phasesUs);
        Verification verification = null;
        try (CpuSplit away = CpuSplit.stayOff(guestCpus(prepare))) {
            cutover = recorded(() -> doCutover(tap));
            phases.putAll(cutover.phasesUs());
            if (cutover.committed()) {
                long start = System.nanoTime();
                try {
                    verification = watchLastCutover(verifyWindow, progress);
                } catch (EngineException e) {
                    record(cutover, null);
                    throw new EngineException(EngineException.Kind.COMMITTED, "the replacement committed (the VMs"
                            + " run on " + instance + ", pid " + cutover.newInstance().pid() + ") but its verify"
                            + " failed: " + e.getMessage(), VmsOn.of(cutover.newInstance()), e);
                }
                phases.put("verify", (System.nanoTime() - start) / 1000);
            }
        }
        record(cutover, verification);
        return new ReplaceReport(instance, cutover.outcome(), cutover.reason(), cutover.blackoutUs(),
                cutover.stateBytes(), prepare.memoryBytes(), prepare.bytesCopied(), Phases.ordered(phases), before,
                cutover.committed() ? cutover.newInstance() : before, verification, cutover.traceUs(), takeWarnings());
    }

    /**
     * The CPUs the standby keeps for the vCPUs until a second after the cutover, which this console stays off from
     * the cutover to the end of its watching: its cold code there took the guest's CPU 8-20 ms at a time right after
     * a cutover, the kernel giving the vCPU's fresh thread little weight yet (docs/BENCHMARKS.md).
     */
    private static BitSet guestCpus(PrepareReply prepare) {
        BitSet cpus = new BitSet();
        if (prepare != null) {
            prepare.guestCpus().forEach(cpus::set);
        }
        return cpus;
    }

    private void checkCutover() {
        switch (step) {
            case NONE -> throw refused("cutover needs a remapped standby: run `standby`, then `remap`");
            case STANDBY -> throw refused("cutover needs a remapped standby: run `remap` first");
            default -> { }
        }
    }

    /**
     * The cutover, while {@code tap} listens to the old instance; the tap is this method's to close: once committed,
     * only after the old instance has exited ({@link CutoverWatch}), its last heartbeats being the cutover's mark.
     */
    private CutoverReply doCutover(EventTap tap) {
        EventTap after = null;
        boolean tapHandedOn = false;
        try {
            Path old = engine.instance(instance).socket();
            dropCutoverWatch();
            after = new EventTap(standby.socket(), ProgressListener.NONE, CutoverWatch.AFTER_BEATS_PER_VM);
            JsonNode reply;
            try {
                CutoverWatch.awaitControlWindow(tap.beats());
                try {
                    reply = Control.request(old, "handover-cutover", null);
                } finally {
                    lastSeqBefore = tap.lastHeartbeatSeqs();
                }
            } catch (ControlException e) {
                throw afterLostCutover(old, e);
            }
            CutoverReply report = Control.field(reply, "cutover", CutoverReply.class);
            if (!report.committed()) {
                ensureStandbyGone(null);
                return report;
            }
            if (diedAfterCommitting(report)) {
                Path log = engine.log(standby.name());
                ensureStandbyGone(null);
                throw EngineException.failed("the VMs of " + instance + " were committed to the new instance (pid "
                        + report.newInstance().pid() + "), which died before it answered (" + report.reason()
                        + "): they ended with it, as in any crash of a hypervisor; its log is " + log);
            }
            // The old instance exits by itself right after its reply; it owns no VM any more.
            lastCutover = new CutoverWatch(before.pid(), tap, after, report.blackoutUs());
            tapHandedOn = true;
            after = null;
            StandbyProcess.removeIfStale(standby.socket());   // the new instance renamed it, unless it died before that
            step = Step.NONE;
            standby = null;
            standbyLauncher = null;   // the instance now: its launcher is none of ours to end
            return report;
        } finally {
            if (after != null) {
                after.close();
            }
            if (!tapHandedOn) {
                tap.close();
            }
        }
    }

    /**
     * Whether the new instance died after the commit point, before its reply (the old instance committed on the
     * ledger's word alone, -1 for the blackout): its process has ended. One that is alive but silent (stopped) is
     * not dead: the VMs are its once it goes on, and verify says how it does.
     */
    private static boolean diedAfterCommitting(CutoverReply report) {
        return report.blackoutUs() < 0 && report.newInstance() != null
                && Launcher.endsWithin(report.newInstance().pid(), DEATH_SEEN);
    }

    /** Forgets a cutover no verify reported, closing its subscription to the new instance. */
    private synchronized void dropCutoverWatch() {
        if (lastCutover != null) {
            lastCutover.close();
        }
        lastCutover = null;
    }

    /** The cutover's reply never came: find out who runs the VMs now and say so. */
    private EngineException afterLostCutover(Path old, ControlException cause) {
        Instance now = whoRunsTheVms(old);
        if (now == null) {
            step = Step.NONE;
            return new EngineException(EngineException.Kind.UNKNOWN, "cutover of " + instance + " failed ("
                    + cause.getMessage() + ") and nothing answers on " + old + " now, so nobody can tell who runs"
                    + " the VMs: check `list` and the logs in " + engine.config().socketDir(), null, cause);
        }
        if (now.info().pid() == before.pid()) {
            ensureStandbyGone("stop");
            return new EngineException(EngineException.Kind.ROLLED_BACK, "cutover failed (" + cause.getMessage()
                    + "); the VMs stay in " + instance + " (pid " + before.pid() + "): " + now.info().vms().stream()
                    .map(v -> v.name() + " " + v.state()).collect(Collectors.joining(", "))
                    + "; the standby is gone", VmsOn.of(now.ref()), cause);
        }
        step = Step.NONE;
        standby = null;
        standbyLauncher = null;   // the standby runs the VMs: its launcher is none of ours to end
        return new EngineException(EngineException.Kind.COMMITTED, "the cutover reply was lost ("
                + cause.getMessage() + ") but " + instance + " now answers as pid " + now.info().pid() + ", "
                + now.info().version() + ": the VMs moved; run `verify`", VmsOn.of(now.ref()), cause);
    }

    private EngineException replacedMeanwhile(long now) {
        return refused(instance + " was replaced meanwhile (pid " + before.pid() + " → " + now + "), by another"
                + " console; its standby is gone: run `replace` again if still needed");
    }

    /** A step refused before it did anything: the VMs run on where they are (looked up: a refusal is rare). */
    private EngineException refused(String message) {
        VmsOn on;
        try {
            on = VmsOn.of(Control.query(engine.socket(instance)).ref());
        } catch (RuntimeException notAnswering) {
            on = null;
        }
        return new EngineException(EngineException.Kind.PRECONDITION, message, on, null);
    }

    /** A standby that failed before the handover began: nothing was changed, the VMs run on where they were. */
    private EngineException untouched(String why, Throwable cause) {
        return new EngineException(EngineException.Kind.PRECONDITION, why + "; nothing was changed: the VMs run"
                + " on in " + instance + " (pid " + before.pid() + ")", VmsOn.of(before), cause);
    }

    /**
     * The instance that answers for the VMs after a lost cutover reply: the old one on its socket, or the standby
     * once it runs them (on its own socket until it has taken the old one's name); null when neither does within
     * {@link #LOST_REPLY_WAIT}. An old instance that died after offering leaves its socket unanswered until then.
     */
    private Instance whoRunsTheVms(Path old) {
        long deadline = System.nanoTime() + LOST_REPLY_WAIT.toNanos();
        while (true) {
            for (Path socket : List.of(old, standby.socket())) {
                try {
                    Instance found = Control.query(socket);
                    if (!found.isStandby()) {
                        return found;
                    }
                } catch (RuntimeException notAnswering) {
                    // look again until the deadline
                }
            }
            if (System.nanoTime() > deadline) {
                return null;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    /**
     * Waits for the standby to exit (it does by itself after an abort or a refused handover; {@code op}, when not
     * null, is sent first to ask it), killing it when it lingers: a standby never outlives its replacement.
     */
    private void ensureStandbyGone(String op) {
        if (op != null) {
            try {
                Control.request(standby.socket(), op, null);
            } catch (RuntimeException alreadyGone) {
                // nothing to ask; the wait below still makes sure
            }
        }
        Launcher.awaitExit(standby.info().pid(), STANDBY_EXIT_TIMEOUT);
        Launcher.endGroup(standbyLauncher);
        standbyLauncher = null;
        StandbyProcess.removeIfStale(standby.socket());   // a standby that was killed could not remove it
        step = Step.NONE;
        standby = null;
        prepared = null;
    }

    /**
     * Runs a cutover whose failure is an exception (its reply lost or refused) and writes that failure to the
     * history before passing it on: a cutover that went wrong is the one an operator looks for there.
     */
    private CutoverReply recorded(Supplier<CutoverReply> cutover) {
        try {
            return cutover.get();
        } catch (EngineException e) {
            long memory = prepared != null ? prepared.memoryBytes() : 0;
            engine.historyFile().append(new HistoryEntry(Instant.now().toString(), instance, e.kind().word(),
                    e.getMessage(), -1, 0, memory, Phases.ordered(phasesUs), before.version(), null, null, null,
                    null, null)).ifPresent(this::warn);
            throw e;
        }
    }

    private void record(CutoverReply cutover, Verification verification) {
        Map<String, Long> phases = new LinkedHashMap<>(phasesUs);
        phases.putAll(cutover.phasesUs());
        long memory = prepared != null ? prepared.memoryBytes() : 0;
        String time = Instant.now().toString();
        synchronized (this) {
            // a committed cutover a later `verify` watches gets that verify's figures in the history too
            lastCutoverRecorded = cutover.committed() && verification == null ? time : null;
        }
        engine.historyFile().append(new HistoryEntry(time, instance, cutover.outcome(),
                cutover.reason(), cutover.blackoutUs(), cutover.stateBytes(), memory, Phases.ordered(phases),
                before.version(),
                cutover.committed() ? cutover.newInstance().version() : before.version(),
                verification == null ? null : verification.ok(),
                verification == null ? null : verification.guestGapUs(),
                verification == null ? null : verification.controlGapUs(), cutover.traceUs())).ifPresent(this::warn);
    }

    private static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw EngineException.failed("cannot write the snapshot to " + file + ": " + IoFailure.reason(e));
        }
    }
}
