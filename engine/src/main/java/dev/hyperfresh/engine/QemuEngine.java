package dev.hyperfresh.engine;

import dev.hyperfresh.engine.QemuReplaceReport.QemuRef;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.qemu.HostQemus;
import dev.hyperfresh.qemu.QemuDirectory;
import dev.hyperfresh.qemu.QemuExecutable;
import dev.hyperfresh.qemu.QemuInfo;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.UncarriedCpuState;
import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.qemu.replace.NotReplaceableException;
import dev.hyperfresh.qemu.replace.QemuReplacement;
import dev.hyperfresh.qemu.replace.ReplacementException;
import dev.hyperfresh.qemu.replace.ReplacementMode;
import dev.hyperfresh.qemu.replace.ReplacementOptions;
import dev.hyperfresh.qemu.replace.ReplacementPlan;
import dev.hyperfresh.qemu.replace.ReplacementResult;
import dev.hyperfresh.qemu.replace.ResetAction;
import dev.hyperfresh.sys.Cgroups;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Pidfd;
import dev.hyperfresh.sys.ProcStat;
import dev.hyperfresh.vmm.control.CutoverReply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The QEMUs an operator's console drives through the qemu module: those whose QMP socket ({@code NAME.qmp}) is in
 * the socket directory, where {@link QemuDirectory} looks too, and any other named {@code qmp:PATH}. A QEMU
 * replacement is one step (QEMU's migration has no halfway state worth showing an operator), recorded in the same
 * history as hfvisor's.
 */
public final class QemuEngine {
    public static final String PREFIX = "qmp:";
    /** A QMP socket held by another client never greets us: a listing must not wait long for it. */
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(3);
    /** How often {@code shutdown --wait} and {@code stop} look whether the guest has powered off. */
    private static final Duration POLL = Duration.ofMillis(100);
    /** A QEMU told to quit ends within milliseconds; one that does not is stuck in the kernel. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);
    /** QMP's run states this console acts on. */
    private static final String RUNNING = "running", PAUSED = "paused", PRELAUNCH = "prelaunch",
            INMIGRATE = "inmigrate", SHUTDOWN = "shutdown";

    private final Path dir;
    private final ReplacementHistory history;

    public QemuEngine(EngineConfig config) {
        this.dir = config.socketDir().toAbsolutePath().normalize();
        this.history = new ReplacementHistory(dir.resolve("history.jsonl"));
    }

    /** Whether {@code target} names a QEMU: {@code qmp:PATH}, or a name with a QMP socket and no hfvisor socket. */
    public boolean owns(String target) {
        if (target.startsWith(PREFIX)) {
            return true;
        }
        return !target.contains("/") && Files.exists(dir.resolve(target + QemuDirectory.SUFFIX))
                && !Files.exists(dir.resolve(target + HfvisorEngine.SOCKET_SUFFIX));
    }

    /**
     * The QEMUs of this host that {@code listed} (the socket directory's) does not hold: neither the same process nor
     * a QMP socket of theirs. {@code list} shows them; {@code replace --all} takes those under the directory it is given.
     */
    public List<HostQemus.Found> elsewhere(List<QemuVm> listed) {
        Set<Long> known = new HashSet<>();
        listed.stream().filter(q -> !q.isStale()).forEach(q -> known.add(q.info().pid()));
        return HostQemus.except(known).stream().filter(f -> f.qmpSockets().stream().noneMatch(s -> listed.stream()
                .anyMatch(q -> sameFile(s, q.socket())))).toList();
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException gone) {
            return false;
        }
    }

    /** Every QMP socket in the socket directory, answering or not, by name. */
    public List<QemuVm> list() {
        try {
            return QemuDirectory.survey(dir, ASK_TIMEOUT).stream()
                    .map(e -> vm(name(e.qmpSocket()), e.qmpSocket(), e.info(), e.problem())).toList();
        } catch (RuntimeException e) {
            throw EngineException.failed("cannot list the QEMUs in " + dir + ": " + e.getMessage());
        }
    }

    private static String program(QemuInfo info) {
        try {
            return QemuExecutable.of(info.pid());
        } catch (IOException e) {
            return null;   // another user's QEMU, another pid namespace: nothing to tell the operator it matters
        }
    }

    private static QemuVm vm(String name, Path socket, QemuInfo info, String problem) {
        return new QemuVm(name, socket, info, problem,
                info == null ? null : UncarriedCpuState.of(info).orElse(null), info == null ? null : program(info),
                info == null ? null : Cgroups.systemdServiceOf(info.pid()).orElse(null));
    }

    /**
     * The QEMU listening on {@code socket}, outside the socket directory ({@code qmp:PATH}), answering or not: what
     * {@link #list} has of each of its own.
     */
    QemuVm survey(Path socket) {
        QemuDirectory.Entry e = QemuDirectory.entry(socket, ASK_TIMEOUT);
        return vm(name(socket), socket, e.info(), e.problem());
    }

    /** The answering QEMU {@code target} names. */
    public QemuVm attach(String target) {
        Path socket = socket(target);
        try (QemuInstance qemu = connect(socket)) {
            return vm(name(socket), socket, qemu.info(), null);
        } catch (EngineException e) {
            throw e;
        } catch (RuntimeException e) {
            throw EngineException.failed("QEMU " + target + " stopped answering: " + e.getMessage());
        }
    }

    /** Pauses {@code target}'s guest where it is (QMP {@code stop}), refused unless it runs. */
    public void pause(String target) {
        ask(target, "pause", Set.of(RUNNING), "stop").close();
    }

    /** Lets a paused guest, or one started with {@code -S}, run on (QMP {@code cont}). */
    public void resume(String target) {
        ask(target, "resume", Set.of(PAUSED, PRELAUNCH), "cont").close();
    }

    /**
     * Resets the guest as a PC's reset button does (QMP {@code system_reset}): it boots again, a paused one once
     * resumed; refused for a QEMU a reset would end ({@code -no-reboot}).
     */
    public void reset(String target) {
        String name = name(socket(target));
        try (QemuInstance qemu = ask(target, "reset", Set.of(RUNNING, PAUSED), null)) {
            if (ResetAction.endsQemu(qemu.pid())) {
                throw EngineException.precondition("cannot reset QEMU " + name + "'s guest: the QEMU runs with"
                        + " -no-reboot, so a reset would end it (`stop` ends it, `shutdown` asks the guest to power"
                        + " off)");
            }
            qemu.qmp().execute("system_reset");
        } catch (EngineException e) {
            throw e;
        } catch (RuntimeException e) {
            throw EngineException.failed("cannot reset QEMU " + name + "'s guest: " + e.getMessage());
        }
    }

    /**
     * Ends the QEMU (QMP {@code quit}), its guest powered off at once, and returns once the process has; refused
     * while it receives a migration (a replacement's standby: the replacement's to end).
     */
    public void stop(String target) {
        Path socket = socket(target);
        String name = name(socket);
        long pid;
        Fd process;   // the QEMU itself, whichever process has its number by the time it has ended
        try (QemuInstance qemu = connect(socket)) {
            if (INMIGRATE.equals(status(qemu))) {
                throw EngineException.precondition("cannot stop QEMU " + name + ": it is receiving a migration (a"
                        + " replacement's new QEMU), which ends it if it fails");
            }
            pid = qemu.pid();
            process = Pidfd.open((int) pid);
            try {
                qemu.qmp().execute("quit");
            } catch (RuntimeException ending) {
                // QEMU may close the socket before its answer arrives: the process's end says
            }
        } catch (EngineException e) {
            throw e;
        } catch (RuntimeException e) {
            throw EngineException.failed("QEMU " + name + " stopped answering: " + e.getMessage());
        }
        try (process) {
            if (!Pidfd.awaitExit(process, (int) STOP_WAIT.toMillis())) {
                throw EngineException.failed("QEMU " + name + " (pid " + pid + ") still runs " + STOP_WAIT.toSeconds()
                        + " s after `quit`");
            }
        }
    }

    /**
     * Presses the ACPI power button of {@code target}'s guest (QMP {@code system_powerdown}), refused (PRECONDITION)
     * unless the guest runs. With {@code wait}: returns once it has powered off — the QEMU ended, or (under
     * {@code -no-shutdown}) its status is {@code shutdown} — else FAILED: the guest runs on.
     */
    public void shutdown(String target, Duration wait) {
        try (QemuInstance qemu = ask(target, "press the power button of", Set.of(RUNNING), "system_powerdown")) {
            if (wait != null) {
                awaitPoweredOff(qemu, name(socket(target)), wait);
            }
        }
    }

    /**
     * The attached QEMU of {@code target} once {@code command} (null: none) was executed, refused (PRECONDITION)
     * unless its guest's status is one of {@code allowed}: the caller closes it.
     */
    private QemuInstance ask(String target, String what, Set<String> allowed, String command) {
        Path socket = socket(target);
        QemuInstance qemu = connect(socket);
        try {
            String status = status(qemu);
            if (!allowed.contains(status)) {
                throw EngineException.precondition("cannot " + what + " QEMU " + name(socket) + "'s guest: it is "
                        + status);
            }
            if (command != null) {
                qemu.qmp().execute(command);
            }
            return qemu;
        } catch (EngineException e) {
            qemu.close();
            throw e;
        } catch (RuntimeException e) {
            qemu.close();
            throw EngineException.failed("QEMU " + name(socket) + " stopped answering: " + e.getMessage());
        }
    }

    /** QMP's run state of the guest ("running", "paused", ...): the one query the lifecycle commands need. */
    private static String status(QemuInstance qemu) {
        return qemu.qmp().execute("query-status").path("status").asText();
    }

    private static void awaitPoweredOff(QemuInstance qemu, String name, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        String state = "not answering";
        // A zombie has ended (its guest is off) and waits for its parent, init once its console left: not alive.
        while (ProcStat.ofProcess(qemu.pid()).filter(p -> !p.zombie()).isPresent()) {
            try {
                state = qemu.qmp().isOpen() ? status(qemu) : "its QMP connection closed";
                if (SHUTDOWN.equals(state)) {
                    return;
                }
            } catch (RuntimeException ending) {
                state = "not answering";   // the QEMU closing its socket as it exits: the loop's test says
            }
            if (System.nanoTime() - deadline > 0) {
                throw EngineException.failed("the guest of QEMU " + name + " still runs " + wait.toSeconds()
                        + " s after its power button was pressed (QEMU: " + state + "); `stop` powers it off at once");
            }
            sleep(name);
        }
    }

    private static void sleep(String name) {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EngineException.failed("interrupted while waiting for QEMU " + name);
        }
    }

    /**
     * Replaces the QEMU process of {@code target} and returns the figures; a rolled-back replacement is a report
     * too (the VM runs on the old QEMU). Refusals are PRECONDITION with the VM untouched.
     */
    public QemuReplaceReport replace(String target, QemuReplaceRequest request, ProgressListener progress) {
        Path socket = socket(target);
        String name = name(socket);
        ReplacementMode mode = request.mode();
        QemuPhaseTimer timer = new QemuPhaseTimer(progress);
        long start = System.nanoTime();
        QemuInfo before = null;
        ReplacementResult result;
        try (QemuInstance qemu = connect(socket)) {
            before = qemu.info();
            try {
                result = QemuReplacement.replace(qemu, options(request, before), timer);
            } catch (ReplacementException e) {
                if (!e.rolledBack()) {
                    throw new EngineException(EngineException.Kind.UNKNOWN, e.getMessage(), null, e);
                }
                QemuReplaceReport report = new QemuReplaceReport(name, CutoverReply.ROLLED_BACK, e.getMessage(),
                        mode.name().toLowerCase(Locale.ROOT), -1, -1, 0, before.memoryBytes(),
                        timer.phasesUs((System.nanoTime() - start) / 1000), ref(before), ref(before), Map.of(),
                        List.of());
                return recorded(report);
            }
        } catch (NotReplaceableException e) {
            throw refused(e, name, before, request);
        } catch (EngineException e) {
            throw e;
        } catch (RuntimeException e) {
            throw EngineException.failed("the replacement of QEMU " + name + " failed: " + e.getMessage());
        }
        QemuReplaceReport report = new QemuReplaceReport(name, CutoverReply.COMMITTED, null,
                mode.name().toLowerCase(Locale.ROOT), result.blackoutUs(), result.qemuDowntimeMs(), result.transferredBytes(),
                before.memoryBytes(), timer.phasesUs(result.totalUs()), ref(before), after(socket, result),
                result.traceUs(), result.warnings());
        return recorded(report);
    }

    /**
     * What replacing {@code target} as asked would do, from pre-flight alone: nothing is started, the VM is left as
     * it is. A refusal is PRECONDITION, as {@link #replace}'s.
     */
    public ReplacementPlan check(String target, QemuReplaceRequest request) {
        Path socket = socket(target);
        String name = name(socket);
        QemuInfo info = null;
        try (QemuInstance qemu = connect(socket)) {
            info = qemu.info();
            return QemuReplacement.check(qemu, options(request, info));
        } catch (NotReplaceableException e) {
            throw refused(e, name, info, request);
        } catch (EngineException e) {
            throw e;
        } catch (RuntimeException e) {
            throw EngineException.failed("the pre-flight of QEMU " + name + " failed: " + e.getMessage());
        }
    }

    private ReplacementOptions options(QemuReplaceRequest request, QemuInfo running) {
        ReplacementOptions asked = ReplacementOptions.of(newBinary(request), request.mode()).withAccelerator(
                request.accelerator() != null ? request.accelerator() : running.accelerator());
        asked = request.acceptCpuStateLoss() ? asked.withCpuStateLossAccepted() : asked;
        return request.outsideService() ? asked.withOutsideService() : asked;
    }

    /** A refusal: the VM untouched (on the QEMU it runs on, if that was seen), and what the console could ask instead. */
    private static EngineException refused(NotReplaceableException e, String name, QemuInfo seen,
                                           QemuReplaceRequest request) {
        return new EngineException(EngineException.Kind.PRECONDITION, e.getMessage() + remedy(e, name, request),
                seen == null ? null : new VmsOn(name, seen.pid()), e);
    }

    /** The console's way of asking for what would pass, after a refusal that names one. */
    private static String remedy(NotReplaceableException e, String name, QemuReplaceRequest request) {
        return switch (e.remedy()) {
            case COPY_MODE -> request.copy() ? "" : " (in hyperfresh: `replace " + name + " --copy`)";
            case ACCEPT_CPU_STATE_LOSS -> " (in hyperfresh: `replace " + name + " --accept-cpu-state-loss`)";
            case OUTSIDE_SERVICE -> " (in hyperfresh: `replace " + name + " --outside-service`)";
            case NONE -> "";
        };
    }

    /** {@code r} once appended to the history, or with a warning that it could not be. */
    private QemuReplaceReport recorded(QemuReplaceReport r) {
        return history.append(new HistoryEntry(Instant.now().toString(), r.instance(), r.outcome(), r.reason(),
                r.blackoutUs(), r.stateBytes(), r.memoryBytes(), r.phasesUs(), r.before().version(),
                r.after().version(), null, null, null, r.traceUs().isEmpty() ? null : r.traceUs()))
                .map(r::withWarning).orElse(r);
    }

    /** The new QEMU as it answers now: the operator sees it run the VM without another command. */
    private static QemuRef after(Path socket, ReplacementResult result) {
        try (QemuInstance qemu = QemuInstance.attach(socket, ASK_TIMEOUT)) {
            return ref(qemu.info());
        } catch (RuntimeException e) {
            return new QemuRef(result.newPid(), "unknown", "not answering (" + e.getMessage() + ")");
        }
    }

    private static QemuRef ref(QemuInfo info) {
        return new QemuRef(info.pid(), info.version(), info.status());
    }

    private static Path newBinary(QemuReplaceRequest request) {
        return request.newBinary() != null ? request.newBinary() : QemuProcess.defaultBinary();
    }

    private QemuInstance connect(Path socket) {
        if (!Files.exists(socket)) {
            throw EngineException.precondition("no QEMU answers on " + socket + " (no such socket); `list` shows the"
                    + " QEMUs in " + dir);
        }
        try {
            return QemuInstance.attach(socket, ASK_TIMEOUT);
        } catch (RuntimeException e) {
            throw EngineException.precondition("QEMU " + name(socket) + " does not answer: " + e.getMessage());
        }
    }

    private Path socket(String target) {
        return target.startsWith(PREFIX) ? Path.of(target.substring(PREFIX.length())).toAbsolutePath().normalize()
                : dir.resolve(target + QemuDirectory.SUFFIX);
    }

    private String name(Path socket) {
        String file = socket.getFileName().toString();
        return socket.getParent().equals(dir) && file.endsWith(QemuDirectory.SUFFIX)
                ? file.substring(0, file.length() - QemuDirectory.SUFFIX.length()) : PREFIX + socket;
    }
}
