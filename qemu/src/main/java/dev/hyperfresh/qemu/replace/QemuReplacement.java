package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.hyperfresh.progress.Progress;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.QemuPid;
import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.qemu.qmp.QmpIoException;
import dev.hyperfresh.sys.MonotonicClock;
import dev.hyperfresh.sys.Pidfd;
import dev.hyperfresh.sys.Succession;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * Replaces a running QEMU with a new QEMU process while the guest keeps its memory and state: start the new one
 * waiting for an incoming migration ({@code -incoming defer}), migrate into it over a unix socket through a
 * {@link StreamHold}, let the stream end, kill the old one.
 *
 * <p>Exactly one QEMU owns the guest at any time. The new one runs the guest as soon as its load ends (as in
 * QEMU's own switch; with -S if the VM was paused), but its load cannot end before we release the stream's end,
 * and that release happens only after the old one has stopped the guest and completed the migration: that is the
 * commit point. The fact arrives as a QMP event ({@link MigrationEnd}); the release happens on the reader thread
 * that reads it ({@link CommitPoint}). Every failure before it cuts the stream and kills the new QEMU first and
 * only then resumes the old one; after it, the new QEMU's own report decides: running, it owns the guest; a failed
 * load or the guest left paused there, and it never ran it (rollback). The old one, stopped for good once its
 * migration completed, is killed only after the new one reports running.
 */
public final class QemuReplacement {
    /** How often the operator sees the migration's progress while it lasts (shared mode is over long before). */
    private static final Duration PROGRESS_REFRESH = Duration.ofMillis(250);
    /** How long a new QEMU whose QMP connection broke may take to be seen exiting (before it is killed anyway). */
    private static final Duration EXIT_SEEN = Duration.ofMillis(500);
    /** A SIGKILLed QEMU is gone once the kernel has torn its memory down: tens of ms here. */
    private static final int EXIT_TIMEOUT_MS = 60_000;
    private static final int SIGKILL = 9;
    /** The trace's step for the commit point: the stream's end released to the new QEMU. */
    static final String RELEASED = "stream-released";
    /** The trace's step for the whole end of the stream read by the hold: the new QEMU waits for the release. */
    static final String END_READ = "stream-end-read";
    /** The trace's step for the devices plugged into the old QEMU at run time given to the new one, before the STOP. */
    static final String DEVICES_PLUGGED = "devices-plugged";

    private final QemuInstance source;
    private final ReplacementOptions options;
    private final ProgressListener listener;
    private final long startNanos = MonotonicClock.nanos();
    private final CutoverTrace trace = new CutoverTrace();
    private Plan plan;
    private QemuProcess standby;
    /** The new QEMU's own pid: the launcher's, or that of its child when {@code --with} is a wrapper script. */
    private long standbyPid;
    /** What the new QEMU could not take from the old one (cgroups, OOM score adjustment, pinning), in words. */
    private final List<String> notFollowed = new ArrayList<>();
    private QmpClient target;
    private StreamHold hold;
    private CommitPoint commitPoint;
    private CutoverSlices slices;
    private Guard guard;
    private Path migrationSocket;

    private QemuReplacement(QemuInstance source, ReplacementOptions options, ProgressListener listener) {
        this.source = source;
        this.options = options;
        this.listener = listener;
    }

    /**
     * Replaces the QEMU behind {@code source} (whose connection becomes useless: that QEMU has exited on success)
     * and returns the figures. Refusals throw {@link NotReplaceableException} with the VM untouched; failures
     * later throw {@link ReplacementException} after rolling back.
     */
    public static ReplacementResult replace(QemuInstance source, ReplacementOptions options, ProgressListener listener) {
        QemuReplacement replacement = new QemuReplacement(source, options, listener);
        try {
            return replacement.run();
        } finally {
            replacement.abandonGuardIfUnsettled();
        }
    }

    /**
     * Pre-flight alone: what a replacement would do, or the reason it would refuse ({@link NotReplaceableException}).
     * Nothing is started and the VM is left as it is.
     */
    public static ReplacementPlan check(QemuInstance source, ReplacementOptions options) {
        try (Plan p = Replaceability.check(source, options)) {
            return new ReplacementPlan(options.mode(), p.standby().argv(), p.standby().handed().descriptions(),
                    p.standby().plugged().steps().stream().map(HotPlugged.Step::toString).toList(),
                    p.standby().forwards().rules().stream().flatMap(List::stream).toList(),
                    p.service().map(PidFileService::unit).orElse(null), p.warnings());
        }
    }

    private ReplacementResult run() {
        report(Phase.PREFLIGHT, 0, 0);
        plan = Replaceability.check(source, options);
        Path qmpSocket = plan.source().qmpSocket();
        migrationSocket = MigrationPath.of(qmpSocket, plan.source().pid());
        MigrationEnd end;
        try {
            end = startStandby(qmpSocket);
        } catch (RuntimeException e) {
            throw rollBack("the new QEMU did not start", e);
        }
        RuntimeException afterRelease = null;
        try {
            migrate(end);
        } catch (RuntimeException e) {
            if (commitPoint.withdraw()) {
                throw rollBack("the migration into the new QEMU failed", e);
            }
            afterRelease = e; // the stream was released as this failure came: the new QEMU's report decides, below
        }
        commit(end, afterRelease);
        if (hold != null) {
            hold.endRead().ifPresent(at -> trace.at(END_READ, at));
        }
        slices.close();
        report(Phase.CUTOVER, 100, 0, trace.nanosOf(ReplacementResult.STOP).orElse(MonotonicClock.nanos()));
        JsonNode migration = finalFigures();
        List<String> warnings = new ArrayList<>(plan.warnings());
        heldTooLittle().ifPresent(warnings::add);
        warnings.addAll(notFollowed);
        warnings.addAll(finishOldQemu());
        releaseGuard();
        JsonNode ram = migration.path("ram");
        report(Phase.DONE, 100, ram.path("transferred").asLong());
        target.close();
        trace.mark(ReplacementResult.RETURNED);
        Map<String, Long> steps = trace.sinceUs(ReplacementResult.STOP);
        long stop = trace.nanosOf(ReplacementResult.STOP).orElse(-1);
        long resume = trace.nanosOf(ReplacementResult.RESUME).orElse(-1);
        return new ReplacementResult(options.mode(), plan.source().pid(), standbyPid, qmpSocket,
                migration.path("downtime").asLong(), migration.path("setup-time").asLong(),
                migration.path("total-time").asLong(), ram.path("transferred").asLong(),
                stop > 0 && resume > 0 ? (resume - stop) / 1000 : -1,
                (MonotonicClock.nanos() - startNanos) / 1000, steps, List.copyOf(warnings));
    }

    private MigrationEnd startStandby(Path qmpSocket) {
        report(Phase.STANDBY, 0, 0);
        StandbyFiles.discard(plan.standby().socketMoves(), plan.standby().vnc(), migrationSocket);
        MigrationPath.prepare(migrationSocket, plan.source().pid());
        startGuard(qmpSocket);
        Path log = qmpSocket.resolveSibling(qmpSocket.getFileName() + ".log");
        standby = plan.service().isPresent()
                ? QemuProcess.startToLetGo(plan.standby().argv(), plan.standby().directory(), log, plan.passedFiles())
                : QemuProcess.start(plan.standby().argv(), plan.standby().directory(), log, plan.passedFiles());
        if (guard != null) {
            guard.watch(standby.pid());
        }
        MigrationEnd end = new MigrationEnd(standby);
        target = standby.awaitQmp(plan.standby().qmpSocket(), options.standbyTimeout());
        long owner = QemuPid.of(target);
        if (owner != standby.pid() && standby.process().descendants().noneMatch(d -> d.pid() == owner)) {
            throw new IllegalStateException("the standby QMP socket " + plan.standby().qmpSocket() + " belongs to pid "
                    + owner + ", not to the QEMU we started (pid " + standby.pid() + ") nor to a child of it");
        }
        standbyPid = owner;
        if (guard != null && owner != standby.pid()) {
            guard.watch(owner);
        }
        // where the old QEMU is (its scope, the limits set on it), not in this console's cgroups
        for (String problem : Succession.follow(owner, plan.source().pid(), plan.service().isPresent())) {
            notFollowed.add("the new QEMU (pid " + owner + "): " + problem);
        }
        target.addListener(trace.events(CutoverTrace.STANDBY));
        target.addListener(end.standbyEvents());
        setCapabilities(target);
        if (!plan.standby().plugged().steps().isEmpty()) {
            plan.standby().plugged().plugInto(target);
            trace.mark(DEVICES_PLUGGED);
        }
        CpuFeatures.lost(source.qmp(), target).ifPresent(notFollowed::add);
        // its vCPUs all there now, hot-plugged ones too
        notFollowed.addAll(ThreadPinning.copy(source.qmp(), plan.source().pid(), target, owner));
        target.execute("migrate-incoming", Map.of("uri", MigrationPath.uri(migrationSocket, plan.source().pid())));
        if (!options.qemuResumesItself()) {
            hold = StreamHold.listen(migrationSocket);
            commitPoint = new CommitPoint(() -> {
                // stamped when it began: once the held bytes are written the new QEMU may run the guest before this
                // thread gets a CPU back to stamp anything. No lambda inside this one (created before the migration):
                // linking one on its first run took this thread ~0.5 ms of CPU in the blackout, in a one-shot console
                trace.at(RELEASED, hold.release());
            });
            end.whenSourceCompleted(commitPoint::commit);
        } else {
            commitPoint = new CommitPoint(() -> { });
        }
        if (guard != null) {
            guard.awaitReady();
        }
        report(Phase.STANDBY, 100, 0);
        return end;
    }

    /**
     * The guard starts just before the new QEMU and must be ready before the migration: from there until the commit
     * or a rollback, a console that dies leaves it to settle the replacement.
     */
    private void startGuard(Path qmpSocket) {
        if (options.qemuResumesItself()) {
            return; // the new QEMU may start the VM by itself: no rollback could be safe, so nothing to guard
        }
        guard = Guard.start(new GuardOrders(plan.source().pid(), qmpSocket, plan.source().running(),
                List.of(), plan.standby().qmpSocket(), migrationSocket, plan.standby().socketMoves(),
                plan.standby().pidfile(), plan.standby().vnc(), plan.standby().forwards(),
                plan.service().map(PidFileService::unit)),
                qmpSocket.resolveSibling(qmpSocket.getFileName() + ".guard.log"));
    }

    /** After a failure nobody foresaw, the guard settles what this console left: it must let go of QMP first. */
    private void abandonGuardIfUnsettled() {
        if (guard != null && !guard.told()) {
            if (hold != null) {
                hold.close();   // the stream, unless released, is cut, as it would be with this console gone
            }
            if (target != null) {
                target.close();
            }
            source.close();
            guard.abandon();
        }
    }

    private void migrate(MigrationEnd end) {
        QmpClient qmp = source.qmp();
        setCapabilities(qmp);
        qmp.execute("migrate-set-parameters", Map.of("max-bandwidth", options.limits().maxBandwidthBytesPerSecond(),
                "downtime-limit", options.limits().downtimeLimitMs()));
        qmp.addListener(end.sourceEvents());   // first: the commit point is reached in it
        qmp.addListener(trace.events(CutoverTrace.SOURCE));
        report(Phase.MIGRATING, 0, 0);
        slices = CutoverSlices.shorten(standbyPid);
        Path into = hold != null ? hold.path() : migrationSocket;
        qmp.await(submit(CutoverTrace.SOURCE, qmp, "migrate", Map.of("uri", MigrationPath.uri(into,
                plan.source().pid()))), "migrate");
        end.awaitSourceCompleted(options.migrationTimeout(), PROGRESS_REFRESH, () -> {
            if (trace.nanosOf(ReplacementResult.STOP).isEmpty()) { // once the guest stops, nothing else goes to QEMU
                JsonNode ram = qmp.execute("query-migrate").path("ram");
                long total = ram.path("total").asLong();
                int percent = total == 0 ? 0 : (int) Math.min(99, 100 * (total - ram.path("remaining").asLong()) / total);
                report(Phase.MIGRATING, percent, ram.path("transferred").asLong());
            }
        });
    }

    /**
     * The commit point: the stream's end released (if a failure has not withdrawn it), the new QEMU's report decides
     * who owns the guest. {@code afterRelease}, if not null, is a failure seen while the release was already done;
     * the operator sees it with the outcome.
     */
    private void commit(MigrationEnd end, RuntimeException afterRelease) {
        if (!options.qemuResumesItself()) {
            commitPoint.commit();
        }
        boolean runs;
        try {
            runs = end.awaitStandbyLoaded(options.standbyTimeout());
        } catch (RuntimeException e) {
            suppress(e, afterRelease);
            if (neverRan(end)) {
                throw rollBack("the new QEMU could not load the VM", e);
            }
            throw lostContact(e);
        }
        if (plan.source().running() && !runs) {
            throw rollBack("the new QEMU loaded the VM but did not run it", new IllegalStateException(
                    "it reported the migration completed with the VM paused"));
        }
    }

    /**
     * Whether the new QEMU said its load failed before it could run the guest; if it has exited, once all it said
     * before is read (its exit can be seen before its last events).
     */
    private boolean neverRan(MigrationEnd end) {
        long deadline = System.nanoTime() + EXIT_SEEN.toNanos();
        while (!end.standbyNeverRan() && !standby.isAlive() && target.isOpen() && System.nanoTime() < deadline) {
            QemuProcess.sleep(Duration.ofMillis(1));
        }
        return end.standbyNeverRan();
    }

    /**
     * The new QEMU resumed the guest before the release began: its load ended without the part of the stream the
     * hold kept back, so the stream's end was not where {@link StreamHold} looks for it (a QEMU whose stream ends
     * otherwise) and nothing held the new QEMU back. The VM runs on it all the same (the old QEMU completed); the
     * operator must hear that this QEMU's replacements have no commit point.
     */
    private Optional<String> heldTooLittle() {
        OptionalLong resumed = trace.nanosOf(ReplacementResult.RESUME);
        OptionalLong released = trace.nanosOf(RELEASED);
        if (resumed.isPresent() && released.isPresent() && resumed.getAsLong() < released.getAsLong()) {
            return Optional.of("the new QEMU started the guest before hyperfresh released the end of the migration"
                    + " stream: this QEMU's stream does not end as hyperfresh expects (QEMU_VM_EOF, then the VM"
                    + " description), so nothing kept the new QEMU from running the guest before the old one had"
                    + " completed; do not replace QEMUs of this version until that is fixed");
        }
        return Optional.empty();
    }

    /**
     * The old QEMU's figures of its migration, asked once the guest runs on the new one (before, QEMU's answer would
     * take a CPU from the new QEMU's load); unknown (0) if it cannot answer.
     */
    private JsonNode finalFigures() {
        try {
            return source.qmp().execute("query-migrate");
        } catch (RuntimeException lost) {
            return MissingNode.getInstance();
        }
    }

    private static void suppress(RuntimeException outcome, RuntimeException earlier) {
        if (earlier != null) {
            outcome.addSuppressed(earlier);
        }
    }

    /**
     * Did the new QEMU start the guest? Unknown (it went silent, or exited without saying its load failed): if it
     * might have run the guest, the old one must not. Kill the new one and leave the VM paused on the old one for
     * the operator to judge.
     */
    private ReplacementException lostContact(RuntimeException cause) {
        standby.kill();
        releaseGuard();
        plan.close();
        Throwable[] before = cause.getSuppressed();
        String earlier = before.length == 0 ? "" : " (as the release went out: " + before[0].getMessage() + ")";
        return new ReplacementException("lost contact with the new QEMU (pid " + standbyPid + ") after releasing"
                + " the migration's end to it" + earlier + "; killed it. The VM is PAUSED on the old QEMU pid "
                + plan.source().pid() + ": resume it there (QMP cont) if the new QEMU never ran it", cause, false);
    }

    /**
     * SIGKILL, not quit: the old QEMU's migration has completed (guest stopped, disks flushed and inactivated), so it
     * has nothing left to do, and a quitting QEMU deletes the socket paths it bound — the very paths the new QEMU's
     * sockets are renamed to — while a killed one deletes nothing. So the renames follow the kill at once; the pid file
     * is written before it, for a systemd service that reads it as its main process dies ({@link PidFileService}),
     * which is then followed into its cgroups (the new QEMU let go by its shell first, so that it is systemd's child).
     * Once the kill is sent (through the pidfd taken at pre-flight) no thread of the old QEMU returns to user space;
     * the kernel tearing down its memory takes tens of ms more, which the operator does not wait for (unless a VNC
     * display must take its TCP port back, free only once the old QEMU has exited): a daemon thread waits for the exit
     * and only then lets go of the pidfd and the memory hold. What fails in the renames (or the pid file, or the VNC
     * port) is returned as a warning: the new QEMU runs the VM whatever a rename says, and the report must say so.
     */
    private List<String> finishOldQemu() {
        List<String> warnings = new ArrayList<>();
        if (plan.service().isPresent()) {
            standby.letGo();
            trace.mark("standby-let-go");
        }
        try {
            StandbyFiles.writePid(plan.standby().pidfile(), standbyPid, plan.source().qmpSocket());
            plan.standby().pidfile().ifPresent(p -> trace.mark("pid-written"));
        } catch (RuntimeException e) {
            warnings.add(e.getMessage());
        }
        if (Pidfd.sendSignal(plan.sourcePidfd(), SIGKILL)) {
            trace.mark("source-killed");
        }
        source.close();
        try {
            StandbyFiles.takeOver(plan.standby().socketMoves(), migrationSocket);
            trace.mark("sockets-moved");
        } catch (RuntimeException e) {
            warnings.add(e.getMessage());
        }
        // the old QEMU's TCP ports are free once it has exited, its memory torn down first: tens of ms
        if (plan.standby().vnc().isPresent() || !plan.standby().forwards().isEmpty()) {
            Pidfd.awaitExit(plan.sourcePidfd(), EXIT_TIMEOUT_MS);
        }
        plan.standby().vnc().ifPresent(vnc -> {
            try {
                vnc.listenAgain(target);
                trace.mark("vnc-listening");
            } catch (RuntimeException e) {
                warnings.add(e.getMessage());
            }
        });
        if (!plan.standby().forwards().isEmpty()) {
            try {
                plan.standby().forwards().addAgain(target);
                trace.mark("host-forwards-added");
            } catch (RuntimeException e) {
                warnings.add(e.getMessage());
            }
        }
        plan.service().ifPresent(service -> {
            warnings.addAll(service.follow(standbyPid));
            trace.mark("service-taken-over");
        });
        Plan done = plan;
        Thread reaper = new Thread(() -> {
            Pidfd.awaitExit(done.sourcePidfd(), EXIT_TIMEOUT_MS);
            done.close();
        }, "old QEMU pid " + plan.source().pid() + " exiting");
        reaper.setDaemon(true);
        reaper.start();
        return warnings;
    }

    /** Kill the standby first (it never ran the guest), then make sure the old QEMU runs it as before. */
    private ReplacementException rollBack(String what, RuntimeException cause) {
        report(Phase.ROLLBACK, 0, 0);
        if (standby != null) {
            // what the new QEMU printed says why it failed (a missing file, a busy port, a device it lacks)
            OptionalInt status = standby.exitStatusWithin(cause instanceof QmpIoException ? EXIT_SEEN : Duration.ZERO);
            Optional<String> said = standby.printed();
            if (said.isPresent() && !String.valueOf(cause.getMessage()).contains(said.get())) {   // said once
                what += " (the new QEMU, pid " + standby.pid() + (status.isPresent() ? ", exited with status "
                        + status.getAsInt() : "") + ", said: " + said.get() + ")";
            }
        }
        long oldPid = plan.source().pid();
        QmpClient qmp = source.qmp();
        String state;
        boolean rolledBack = false;
        try {
            SourceRollback.cancelMigration(qmp);
            if (standby != null) {
                standby.kill();
            }
            closeHold();
            SourceRollback.resume(qmp, plan.source().running());
            state = "the VM " + (plan.source().running() ? "runs" : "stays paused") + " on the old QEMU pid " + oldPid
                    + " as before";
            rolledBack = true;
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
            state = "rolling back failed too (" + e.getMessage() + "): check the old QEMU pid " + oldPid;
        } finally {
            if (standby != null) {
                standby.kill();
            }
            closeHold();
            if (target != null) {
                target.close();
            }
            StandbyFiles.discard(plan.standby().socketMoves(), plan.standby().vnc(), migrationSocket);
            releaseGuard();
            plan.close();
        }
        return new ReplacementException(what + ": " + cause.getMessage() + "; rolled back: " + state, cause,
                rolledBack);
    }

    private void setCapabilities(QmpClient qmp) {
        qmp.execute("migrate-set-capabilities", Map.of("capabilities", List.of(
                Map.of("capability", "x-ignore-shared", "state", options.mode() == ReplacementMode.SHARED),
                Map.of("capability", "events", "state", true))));
    }

    private void report(Phase phase, int percent, long bytes) {
        report(phase, percent, bytes, MonotonicClock.nanos());
    }

    /** Progress as of {@code atNanos}: the cutover's is reported once over, dated when the guest stopped. */
    private void report(Phase phase, int percent, long bytes, long atNanos) {
        listener.onProgress(new Progress(phase.word(), percent, bytes, (atNanos - startNanos) / 1000));
    }

    /** A command of the cutover, sent now: its sending and its answer traced. */
    private CompletableFuture<JsonNode> submit(String side, QmpClient qmp, String command, Map<String, ?> arguments) {
        trace.mark(side + "-" + command);
        return qmp.submit(command, arguments).whenComplete((answer, failure) -> trace.mark(side + "-" + command
                + "-answered"));
    }

    private void closeHold() {
        if (hold != null) {
            hold.close();
        }
    }

    private void releaseGuard() {
        if (guard != null) {
            guard.release();
        }
    }
}
