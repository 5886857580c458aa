package dev.hyperfresh.vmm.handover;

import dev.hyperfresh.vmm.control.ControlClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A real hfvisor process started from the test's own classpath, its output in a log file beside its socket. */
final class HfvisorProcess implements AutoCloseable {
    private final Process process;
    private final Path socket;
    private final Path log;

    private HfvisorProcess(Process process, Path socket, Path log) {
        this.process = process;
        this.socket = socket;
        this.log = log;
    }

    static HfvisorProcess start(Path dir, String name, String... args) throws IOException {
        return start(dir, name, Map.of(), args);
    }

    static HfvisorProcess start(Path dir, String name, Map<String, String> env, String... args) throws IOException {
        HfvisorProcess h = spawn(dir, name, env, args);
        h.awaitSocket(Duration.ofMinutes(3));
        return h;
    }

    /** Starts it without waiting for its socket. */
    static HfvisorProcess spawn(Path dir, String name, Map<String, String> env, String... args) throws IOException {
        // Its own session, as hyperfresh starts hfvisor: a stall (SIGSTOP) is then never undone by the kernel's
        // SIGCONT to a process group that becomes orphaned around it (seen on a PVM host).
        List<String> cmd = new ArrayList<>(List.of("setsid", ProcessHandle.current().info().command().orElse("java"),
                // C1 and serial GC start much faster in an emulated CPU; timings are never asserted here.
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dhyperfresh.warmup=3",
                "-cp", System.getProperty("java.class.path"), "dev.hyperfresh.vmm.cli.HfvisorMain",
                "--name", name, "--socket-dir", dir.toString()));
        cmd.addAll(List.of(args));
        Path log = dir.resolve(name + "-" + System.nanoTime() + ".log");
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process p = builder.start();
        return new HfvisorProcess(p, dir.resolve(name + ".sock"), log);
    }

    private void awaitSocket(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("hfvisor exited with " + process.exitValue() + " before serving " + socket
                        + ": " + log());
            }
            if (Files.exists(socket)) {
                try (ControlClient c = ControlClient.connect(socket)) {
                    c.ping();
                    return;
                } catch (RuntimeException notYet) {
                    // bound but not accepting yet
                }
            }
            sleep(50);
        }
        throw new AssertionError("hfvisor did not serve " + socket + " within " + timeout + ": " + log());
    }

    Path socket() {
        return socket;
    }

    Process process() {
        return process;
    }

    long pid() {
        return process.pid();
    }

    boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends the process and keeps its log under target/hfvisor-logs (the test's directory is deleted). */
    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
        try {
            Path kept = Files.createDirectories(Path.of("target", "hfvisor-logs"));
            Files.copy(log, kept.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            System.err.println("could not keep " + log + ": " + e.getMessage());
        }
    }
}
