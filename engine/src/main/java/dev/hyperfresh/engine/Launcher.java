package dev.hyperfresh.engine;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts hfvisor processes that outlive this one (own session via setsid, output to a log file, no stdin) and
 * waits until their control socket answers.
 */
final class Launcher {
    private static final long POLL_MS = 50;
    private static final long PROGRESS_EVERY_US = 250_000;

    private Launcher() {
    }

    static Process spawn(List<String> command, Path log) {
        List<String> detached = new ArrayList<>();
        detached.add("setsid");
        detached.addAll(command);
        try {
            Files.writeString(log, "# " + String.join(" ", command) + "\n");
            return new ProcessBuilder(detached).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            throw EngineException.failed("cannot start " + command.get(0) + ": " + e.getMessage());
        }
    }

    /**
     * Waits until {@code process} answers on {@code socket} (whose name nobody else held when it was spawned),
     * reporting phase {@code phase} as it waits.
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
                    progress.onProgress(new Progress(phase, 100, 0, elapsedUs));
                    return instance;
                } catch (RuntimeException notYet) {
                    // the socket file appears just before the server accepts; try again
                }
            }
            if (!process.isAlive()) {
                throw EngineException.failed("hfvisor exited with status " + process.exitValue()
                        + " before answering on " + socket + "; its log " + log + " ends: " + tail(log));
            }
            if (elapsedUs > timeout.toNanos() / 1000) {
                process.destroy();
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

    /** Waits up to {@code timeout} for process {@code pid} to end; then kills it. True when it ended by itself. */
    static boolean awaitExit(long pid, Duration timeout) {
        var handle = ProcessHandle.of(pid);
        if (handle.isEmpty()) {
            return true;
        }
        try {
            handle.get().onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception stillRunning) {
            handle.get().destroyForcibly();
            return false;
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
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
