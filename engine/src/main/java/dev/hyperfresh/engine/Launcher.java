package dev.hyperfresh.engine;

import dev.hyperfresh.progress.Progress;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.IoFailure;
import dev.hyperfresh.sys.Pidfd;
import dev.hyperfresh.sys.Poll;
import dev.hyperfresh.sys.ProcessGroup;
import dev.hyperfresh.sys.Spawn;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.vmm.Hfvisor;
import dev.hyperfresh.vmm.control.NameTakenException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Starts hfvisor processes that outlive this one ({@link Spawn#detached}: own session, output to a log file, no
 * stdin) and waits until their control socket answers.
 */
final class Launcher {
    /** How often a start is looked for: a standby's start is on a replacement's path, an idle look costs nothing. */
    private static final long POLL_MS = 10;
    private static final Duration GROUP_END_TIMEOUT = Duration.ofSeconds(5);
    private static final int SIGKILL = 9;
    private static final long PROGRESS_EVERY_US = 250_000;
    /** The line {@link #spawn} writes first, "# TIME COMMAND" (a JVM's crash report has lines of "# " too). */
    private static final Pattern START_LINE = Pattern.compile("# \\d{4}-\\d{2}-\\d{2}T\\S+ ");

    private Launcher() {
    }

    static Process spawn(List<String> command, Path log) {
        return spawn(command, log, false);
    }

    /**
     * As {@link #spawn(List, Path)}; a standby {@code forThisConsole} ends by itself when this process does, unless it
     * has taken VMs by then (an environment variable, which an hfvisor build that does not know it ignores).
     */
    static Process spawn(List<String> command, Path log, boolean forThisConsole) {
        try {
            // Appended, never truncated: a name used again (a standby's) keeps the earlier run's log above.
            Files.writeString(log, "# " + Instant.now() + " " + String.join(" ", command) + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw EngineException.failed("cannot write the log of " + command.get(0) + " in the socket directory ("
                    + log + "): " + IoFailure.reason(e) + "; HYPERFRESH_SOCKET_DIR names another");
        }
        try {
            return Spawn.detached(command, forThisConsole
                    ? Map.of(Hfvisor.CONSOLE_PID_ENV, String.valueOf(ProcessHandle.current().pid())) : Map.of(),
                    Optional.empty(), log, List.of());
        } catch (SysException e) {
            throw EngineException.failed("cannot start " + command.get(0) + ": " + e.getMessage());
        }
    }

    /**
     * Waits until {@code process} (or the hfvisor it started: a launcher may be a wrapper) answers on {@code socket},
     * reporting phase {@code phase} as it waits. Another process answering there is not taken for it: ours then
     * exits, its name being taken ({@link NameTaken}).
     */
    static Instance await(Process process, Path socket, Path log, Duration timeout, String phase,
                          ProgressListener progress) {
        long start = System.nanoTime();
        long lastReport = -PROGRESS_EVERY_US;
        while (true) {
            long elapsedUs = (System.nanoTime() - start) / 1000;
            if (Files.exists(socket)) {
                try {
                    Instance instance = Control.query(socket);
                    if (startedBy(process, instance.info().pid())) {
                        progress.onProgress(new Progress(phase, 100, 0, elapsedUs));
                        return instance;
                    }
                } catch (RuntimeException notYet) {
                    // the socket file appears just before the server accepts; try again
                }
            }
            if (!process.isAlive()) {
                if (process.exitValue() == NameTakenException.EXIT_STATUS) {
                    throw new NameTaken(tail(log));
                }
                throw EngineException.failed("hfvisor exited with status " + process.exitValue()
                        + " before answering on " + socket + "; its log " + log + " ends: " + tail(log));
            }
            if (elapsedUs > timeout.toNanos() / 1000) {
                // and wait until its group is gone: a member still exiting (a JVM takes a moment) outlived the error
                // the operator was given (CI, 2026-12-04: a wrapper's child still there right after the refusal)
                ProcessGroup.killAndAwaitEmpty(process.pid(), GROUP_END_TIMEOUT);
                throw EngineException.failed("hfvisor did not answer on " + socket + " within "
                        + timeout.toSeconds() + " s and was stopped; its log is " + log);
            }
            if (elapsedUs - lastReport >= PROGRESS_EVERY_US) {
                progress.onProgress(new Progress(phase, Progress.UNKNOWN, 0, elapsedUs));
                lastReport = elapsedUs;
            }
            sleep(POLL_MS);
        }
    }

    /**
     * Waits up to {@code timeout} for process {@code pid} (a launcher we started: it leads its own process group) to
     * end; then kills its group. True when it ended by itself.
     */
    static boolean awaitExit(long pid, Duration timeout) {
        Fd pidfd = pidfd(pid);
        if (pidfd == null) {
            return true;
        }
        try (pidfd) {
            if (ends(pidfd, timeout)) {
                return true;
            }
            // The leader still lives, so the group id is still its own: nobody else's group is hit. Waited for,
            // as a standby that never answered is: a member still exiting must not outlive what the caller reports.
            ProcessGroup.killAndAwaitEmpty(pid, GROUP_END_TIMEOUT);
            Pidfd.sendSignal(pidfd, SIGKILL);
            return false;
        }
    }

    /** Whether process {@code pid} has ended, or ends within {@code timeout}; nothing is done to it. */
    static boolean endsWithin(long pid, Duration timeout) {
        Fd pidfd = pidfd(pid);
        if (pidfd == null) {
            return true;
        }
        try (pidfd) {
            return ends(pidfd, timeout);
        }
    }

    /** A pidfd of process {@code pid}; null when there is no such process any more. */
    private static Fd pidfd(long pid) {
        try {
            return Pidfd.open((int) pid);
        } catch (SysException gone) {
            return null;
        }
    }

    private static boolean ends(Fd pidfd, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Pidfd.hasExited(pidfd)) {   // a signal ends a poll early: look again
            long leftMs = (deadline - System.nanoTime()) / 1_000_000;
            if (leftMs <= 0) {
                return false;
            }
            Poll.readable((int) Math.min(Integer.MAX_VALUE, leftMs), pidfd);
        }
        return true;
    }

    /**
     * Kills what a launcher we started left in its process group once the hfvisor it started is gone — a wrapper
     * script lingering after its hfvisor, and whatever else it started — and waits until the launcher is reaped, so
     * not even its zombie is left. The group is signalled only while the launcher itself lives (a launcher that execs
     * hfvisor has ended with it), so the group id is still its own.
     */
    static void endGroup(Process launcher) {
        if (launcher == null) {
            return;
        }
        if (launcher.isAlive()) {
            ProcessGroup.killAndAwaitEmpty(launcher.pid(), GROUP_END_TIMEOUT);
        }
        try {
            launcher.waitFor(GROUP_END_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean startedBy(Process process, long pid) {
        return process.pid() == pid || process.descendants().anyMatch(d -> d.pid() == pid);
    }

    /** The hfvisor started found its instance name taken by a live instance (it exited without touching it). */
    static final class NameTaken extends RuntimeException {
        NameTaken(String why) {
            super(why);
        }
    }

    /** The last lines this start wrote: those after its own "# TIME COMMAND" line, not an earlier run's. */
    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            int from = lines.size();
            while (from > 0 && !START_LINE.matcher(lines.get(from - 1)).lookingAt()) {
                from--;
            }
            List<String> own = lines.subList(from, lines.size());
            return own.isEmpty() ? "(nothing)"
                    : String.join(" | ", own.subList(Math.max(0, own.size() - 3), own.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EngineException.failed("interrupted while waiting for hfvisor to start");
        }
    }
}
