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
 * waits for our {@code cont}), so a console killed there would leave it frozen. The guard holds a pipe from us;
 * if that pipe ends without {@link #release}, it settles the replacement ({@link GuardMain}). A JVM of its own
 * (C1, serial GC, 32 MiB) on this process's class path, in a session of its own.
 */
final class Guard {
    static final String READY = "ready";
    static final String RELEASED = "released";

    private final Process process;
    private boolean told;

    private Guard(Process process) {
        this.process = process;
    }

    /** Starts the guard and waits until it holds both QEMUs; its output goes to {@code log}. */
    static Guard start(GuardOrders orders, Path log, Duration timeout) {
        List<String> argv = new ArrayList<>(List.of("setsid", Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx32m", "-Xshare:auto",
                "-Djnr.ffi.asm.enabled=false", "-cp", System.getProperty("java.class.path"), GuardMain.class.getName()));
        argv.addAll(orders.toArgs());
        Process process;
        try {
            process = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the replacement's guard: " + e.getMessage(), e);
        }
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String line;
        try {
            line = first.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            line = null;
        }
        if (!READY.equals(line)) {
            process.destroyForcibly();
            throw new IllegalStateException("the replacement's guard (pid " + process.pid() + ") did not get ready"
                    + " within " + timeout.toSeconds() + " s: see " + log);
        }
        return new Guard(process);
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

    long pid() {
        return process.pid();
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
