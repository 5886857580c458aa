package dev.hyperfresh.qemu.launch;

import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.qemu.qmp.QmpIoException;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.ProcessGroup;
import dev.hyperfresh.sys.Spawn;
import dev.hyperfresh.sys.SysException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A QEMU process this one started ({@link Spawn#detached}), in its own session so that a Ctrl-C meant for
 * hyperfresh's terminal never reaches the VM, with stdout and stderr appended to {@code log}.
 */
public final class QemuProcess {
    private static final Duration POLL = Duration.ofMillis(10);
    private static final Duration GROUP_EXIT = Duration.ofSeconds(10);

    private final Process process;
    private final Path log;
    /** Where this process's output begins in {@code log}, which earlier QEMUs of the same VM may have written. */
    private final long logStart;
    private final List<String> commandLine;

    private QemuProcess(Process process, Path log, long logStart, List<String> commandLine) {
        this.process = process;
        this.log = log;
        this.logStart = logStart;
        this.commandLine = List.copyOf(commandLine);
    }

    /** $QEMU, else qemu-system-x86_64 on PATH. */
    public static Path defaultBinary() {
        String configured = System.getenv("QEMU");
        if (configured != null) {
            return Path.of(configured);
        }
        return Stream.of(System.getenv("PATH").split(":")).map(d -> Path.of(d, "qemu-system-x86_64"))
                .filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IllegalStateException("qemu-system-x86_64 is not installed (Debian: apt-get"
                        + " install qemu-system-x86, which bin/setup and .ci/run do) and $QEMU is not set"));
    }

    public static QemuProcess start(List<String> commandLine, Path log) {
        return start(commandLine, Optional.empty(), log, List.of());
    }

    /**
     * {@code directory}: the working directory QEMU starts in (its relative paths name files there), else ours;
     * {@code passed}: open files it gets at fd 3, 4, ... ({@link Spawn#FIRST_PASSED_FD}), as its command line
     * names them.
     */
    public static QemuProcess start(List<String> commandLine, Optional<Path> directory, Path log, List<Fd> passed) {
        return start(commandLine, commandLine, directory, log, passed);
    }

    /**
     * As {@link #start}, QEMU run by a shell that waits for it (and ends with its status): its parent until {@link
     * #letGo}, which leaves it to init. systemd takes a process it did not start for a service's main process (from
     * its pid file), but waits for it at a stop only if it is its child by then; else it follows its SIGTERM with
     * SIGKILL at once.
     */
    public static QemuProcess startToLetGo(List<String> commandLine, Optional<Path> directory, Path log,
                                           List<Fd> passed) {
        List<String> shell = new ArrayList<>(List.of("/bin/sh", "-c", "\"$@\" & wait $!", "sh"));
        shell.addAll(commandLine);
        return start(shell, commandLine, directory, log, passed);
    }

    private static QemuProcess start(List<String> argv, List<String> commandLine, Optional<Path> directory, Path log,
                                     List<Fd> passed) {
        long logStart;
        try {
            logStart = Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read QEMU's log " + log + ": " + e.getMessage(), e);
        }
        try {
            return new QemuProcess(Spawn.detached(argv, Map.of(), directory, log, passed), log, logStart,
                    commandLine);
        } catch (SysException e) {
            throw new IllegalStateException("cannot start " + commandLine.get(0) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits until QEMU listens on {@code qmpSocket} and connects; if QEMU exits first, the error carries its exit
     * status and the end of its output (e.g. "qemu-system-x86_64: -object ...: ...").
     */
    public QmpClient awaitQmp(Path qmpSocket, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new QmpIoException(commandLine.get(0) + " exited with status " + process.exitValue()
                        + " before opening its QMP socket: " + outputTail());
            }
            if (Files.exists(qmpSocket)) {
                try {
                    return QmpClient.connect(qmpSocket);
                } catch (QmpIoException e) {
                    // QEMU binds before it listens: refused in between
                    if (!(e.getCause() instanceof ConnectException)) {
                        throw e;
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                kill();
                throw new QmpIoException(commandLine.get(0) + " did not open its QMP socket " + qmpSocket + " within "
                        + timeout.toSeconds() + " s; killed it. Output: " + outputTail());
            }
            sleep(POLL);
        }
    }

    /** QEMU's pid, which leads its own session and process group. */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Its exit status, once it has exited within {@code wait}; empty while it runs. */
    public OptionalInt exitStatusWithin(Duration wait) {
        try {
            return process.waitFor(wait.toNanos(), TimeUnit.NANOSECONDS) ? OptionalInt.of(process.exitValue())
                    : OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        }
    }

    public Process process() {
        return process;
    }

    public Path log() {
        return log;
    }

    public List<String> commandLine() {
        return commandLine;
    }

    /**
     * Ends the shell of {@link #startToLetGo}, QEMU running on: init (or the nearest subreaper) is its parent once
     * this returns.
     */
    public void letGo() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while letting go of QEMU's shell pid " + pid(), e);
        }
    }

    /**
     * SIGKILL to its whole process group (a wrapper script's QEMU too, which killing the wrapper alone leaves
     * behind) and wait until it is gone: after this returns, it cannot touch the guest any more.
     */
    public void kill() {
        // A member still exiting after GROUP_EXIT runs no more guest code (SIGKILL is pending); it only holds RAM.
        ProcessGroup.killAndAwaitEmpty(process.pid(), GROUP_EXIT);
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for QEMU pid " + pid() + " to die", e);
        }
    }

    /** The end of what this process wrote to its log. */
    public String outputTail() {
        return printed().orElse("(no output)");
    }

    /** The end of what this process wrote to its log, if anything. */
    public Optional<String> printed() {
        try (FileChannel in = FileChannel.open(log)) {
            long from = Math.max(logStart, in.size() - 600);
            ByteBuffer bytes = ByteBuffer.allocate((int) Math.max(0, in.size() - from));
            while (bytes.hasRemaining() && in.read(bytes, from + bytes.position()) > 0) {
                // read on to the end
            }
            String text = new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? Optional.empty() : Optional.of(text);
        } catch (IOException e) {
            return Optional.of("(output unreadable: " + e.getMessage() + ")");
        }
    }

    public static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
