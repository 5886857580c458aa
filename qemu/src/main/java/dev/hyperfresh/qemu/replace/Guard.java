package dev.hyperfresh.qemu.replace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A small process that outlives this console if it ends mid-replacement: between the {@code migrate} and the
 * commit neither QEMU would run the VM on its own (the old one stops it as its migration completes, the new one
 * waits for the stream's end, {@link StreamHold}), so a console killed there would leave it frozen. The guard holds
 * a pipe from us; if that pipe ends without {@link #release}, it settles the replacement ({@link GuardMain}). A JVM
 * of its own on this process's class path, in a session of its own: C1, serial GC, 32 MiB, started before the new
 * QEMU so that it is ready, and quiet, by the time the new QEMU is.
 */
final class Guard {
    static final String READY = "ready";
    static final String RELEASED = "released";

    static final String STANDBY = "standby ";
    /** A JVM's start: ~0.2 s on an idle host, tens of seconds in an emulated one. Only the migration waits for it. */
    static final Duration READY_TIMEOUT = Duration.ofMinutes(2);

    private final Process process;
    private final Path log;
    private final CompletableFuture<String> ready;
    private boolean told;

    private Guard(Process process, Path log) {
        this.process = process;
        this.log = log;
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        // A thread of its own: the read blocks until the guard's JVM is up, or gone, and must hold up nothing else.
        this.ready = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, task -> {
            Thread reader = new Thread(task, "guard-ready-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        });
    }

    /**
     * Starts the guard, without waiting for it: it starts while the new QEMU does ({@link #watch} its pid, then
     * {@link #awaitReady} before the migration). Its output goes to {@code log}.
     */
    static Guard start(GuardOrders orders, Path log) {
        List<String> argv = new ArrayList<>(List.of("setsid", Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx32m", "-Xshare:auto",
                "-Djnr.ffi.asm.enabled=false", "-cp", System.getProperty("java.class.path"), GuardMain.class.getName()));
        argv.addAll(orders.toArgs());
        try {
            return new Guard(new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the replacement's guard: " + e.getMessage(), e);
        }
    }

    /** Waits until the guard holds both QEMUs; kills it and throws if it does not within {@link #READY_TIMEOUT}. */
    void awaitReady() {
        String line;
        try {
            line = ready.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            line = null;
        }
        if (!READY.equals(line)) {
            process.destroyForcibly();
            throw new IllegalStateException("the replacement's guard (pid " + process.pid() + ") did not get ready"
                    + " within " + READY_TIMEOUT.toSeconds() + " s: see " + log);
        }
    }

    /** The new QEMU is, or runs in, {@code pid}: the process started for it, then the QEMU a wrapper started. */
    void watch(long pid) {
        try {
            OutputStream in = process.getOutputStream();
            in.write((STANDBY + pid + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("the replacement's guard (pid " + process.pid() + ") has gone: see " + log,
                    e);
        }
    }

    /** The replacement has ended, committed or rolled back, and needs no settling: the guard exits. */
    void release() {
        tell(RELEASED + "\n");
    }

    /** Lets the guard settle the replacement now, as if this console had died (whose QMP connections must be closed). */
    void abandon() {
        tell("");
    }

    boolean told() {
        return told;
    }

    private void tell(String word) {
        if (told) {
            return;
        }
        told = true;
        try (OutputStream in = process.getOutputStream()) {
            in.write(word.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // the guard has gone already: nothing left to tell
        }
    }
}
