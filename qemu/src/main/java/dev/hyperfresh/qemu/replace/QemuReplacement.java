package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.QemuPid;
import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.qemu.qmp.QmpError;
import dev.hyperfresh.qemu.qmp.QmpEvent;
import dev.hyperfresh.qemu.replace.Progress.Phase;
import dev.hyperfresh.sys.MonotonicClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Replaces a running QEMU with a new QEMU process while the guest keeps its memory and state: start the new one
 * paused ({@code -S -incoming defer}), migrate into it over a unix socket, tell it to run, quit the old one.
 *
 * <p>Exactly one QEMU owns the guest at any time. The new one cannot run the guest before our {@code cont}
 * (it starts with -S), and that {@code cont} is sent only after the old one has stopped the guest and finished
 * the migration: that is the commit point. Every failure before it kills the new QEMU first and only then
 * resumes the old one; the old one is told to quit only after the new one reports running.
 */
public final class QemuReplacement {
    private static final Duration POLL = Duration.ofMillis(20);
    private static final Set<String> MIGRATION_OVER = Set.of("completed", "failed", "cancelled");

    private final QemuInstance source;
    private final ReplacementOptions options;
    private final ProgressListener listener;
    private final long startNanos = MonotonicClock.nanos();
    private final AtomicLong stopSeen = new AtomicLong();
    private final AtomicLong resumeSeen = new AtomicLong();
    private Plan plan;
    private QemuProcess standby;
    /** The new QEMU's own pid: the launcher's, or that of its child when {@code --with} is a wrapper script. */
    private long standbyPid;
    private QmpClient target;
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
        return new QemuReplacement(source, options, listener).run();
    }

    /** Pre-flight alone: the command line a replacement would start, or the reason it would refuse. */
    public static List<String> standbyCommandLine(QemuInstance source, ReplacementOptions options) {
        try (Plan p = Preflight.check(source, options)) {
            return p.standby().argv();
        }
    }

    private ReplacementResult run() {
        report(Phase.PREFLIGHT, 0, 0);
        plan = Preflight.check(source, options);
        Path qmpSocket = plan.source().qmpSocket();
        migrationSocket = qmpSocket.resolveSibling(qmpSocket.getFileName() + ".migrate");
        try {
            startStandby(qmpSocket);
        } catch (RuntimeException e) {
            throw rollBack("the new QEMU did not start", e);
        }
        JsonNode migration;
        try {
            migration = migrate();
            awaitStandbyLoaded();
        } catch (RuntimeException e) {
            throw rollBack("the migration into the new QEMU failed", e);
        }
        commit();
        long newPid = standbyPid;
        finishOldQemu();
        long end = MonotonicClock.nanos();
        JsonNode ram = migration.path("ram");
        report(Phase.DONE, 100, ram.path("transferred").asLong());
        target.close();
        return new ReplacementResult(options.mode(), plan.source().pid(), newPid, qmpSocket,
                migration.path("downtime").asLong(), migration.path("setup-time").asLong(),
                migration.path("total-time").asLong(), ram.path("transferred").asLong(),
                resumeSeen.get() > 0 && stopSeen.get() > 0 ? (resumeSeen.get() - stopSeen.get()) / 1000 : -1,
                (end - startNanos) / 1000);
    }

    private void startStandby(Path qmpSocket) {
        report(Phase.STANDBY, 0, 0);
        for (SocketMove m : plan.standby().socketMoves()) {
            deleteIfExists(m.standbyPath());
        }
        deleteIfExists(migrationSocket);
        standby = QemuProcess.start(plan.standby().argv(), qmpSocket.resolveSibling(qmpSocket.getFileName() + ".log"));
        target = standby.awaitQmp(plan.standby().qmpSocket(), options.standbyTimeout());
        long owner = QemuPid.of(target);
        if (owner != standby.pid() && standby.process().descendants().noneMatch(d -> d.pid() == owner)) {
            throw new IllegalStateException("the standby QMP socket " + plan.standby().qmpSocket() + " belongs to pid "
                    + owner + ", not to the QEMU we started (pid " + standby.pid() + ") nor to a child of it");
        }
        standbyPid = owner;
        target.addListener(event("RESUME", resumeSeen));
        setCapabilities(target);
        target.execute("migrate-incoming", Map.of("uri", "unix:" + migrationSocket));
        report(Phase.STANDBY, 100, 0);
    }

    private JsonNode migrate() {
        QmpClient qmp = source.qmp();
        setCapabilities(qmp);
        qmp.execute("migrate-set-parameters", Map.of("max-bandwidth", options.limits().maxBandwidthBytesPerSecond(),
                "downtime-limit", options.limits().downtimeLimitMs()));
        qmp.addListener(event("STOP", stopSeen));
        CompletableFuture<String> over = new CompletableFuture<>();
        qmp.addListener(e -> {
            if (e.name().equals("MIGRATION") && MIGRATION_OVER.contains(e.data().path("status").asText())) {
                over.complete(e.data().path("status").asText());
            }
        });
        report(Phase.MIGRATING, 0, 0);
        qmp.execute("migrate", Map.of("uri", "unix:" + migrationSocket));
        long deadline = System.nanoTime() + options.migrationTimeout().toNanos();
        while (true) {
            JsonNode m = qmp.execute("query-migrate");
            String status = m.path("status").asText();
            JsonNode ram = m.path("ram");
            long total = ram.path("total").asLong();
            int percent = total == 0 ? 0 : (int) Math.min(99, 100 * (total - ram.path("remaining").asLong()) / total);
            if (status.equals("completed")) {
                report(Phase.CUTOVER, 100, ram.path("transferred").asLong());
                return m;
            }
            if (MIGRATION_OVER.contains(status)) {
                throw new IllegalStateException("QEMU reports the migration " + status
                        + (m.has("error-desc") ? ": " + m.get("error-desc").asText() : ""));
            }
            if (!standby.isAlive()) {
                throw new IllegalStateException("the new QEMU exited during the migration: " + standby.outputTail());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the migration did not finish within "
                        + options.migrationTimeout().toSeconds() + " s (status " + status + ")");
            }
            report(Phase.MIGRATING, percent, ram.path("transferred").asLong());
            awaitQuietly(over, POLL);
        }
    }

    /** The new QEMU leaves "inmigrate" once it has loaded everything; with -S it then waits, paused. */
    private void awaitStandbyLoaded() {
        long deadline = System.nanoTime() + options.standbyTimeout().toNanos();
        while (true) {
            String status = target.execute("query-status").path("status").asText();
            if (status.equals("paused")) {
                return;
            }
            if (!status.equals("inmigrate") || System.nanoTime() > deadline) {
                throw new IllegalStateException("the new QEMU is " + status + " instead of paused with the VM loaded");
            }
            Thread.onSpinWait();
        }
    }

    /** The commit point: from the moment the new QEMU accepts cont, it owns the guest. */
    private void commit() {
        if (!plan.source().running()) {
            return; // the VM was paused: it stays paused, now on the new QEMU
        }
        try {
            target.execute("cont");
        } catch (QmpError e) {
            throw rollBack("the new QEMU refused to run the VM", e);
        } catch (RuntimeException e) {
            // did the cont arrive? If the new QEMU might run the guest, the old one must not: kill the new one and
            // leave the VM paused on the old one for the operator to judge.
            standby.kill();
            plan.close();
            throw new ReplacementException("lost contact with the new QEMU (pid " + standbyPid + ") while telling it"
                    + " to run the VM; killed it. The VM is PAUSED on the old QEMU pid " + plan.source().pid()
                    + ": resume it there (QMP cont) if the new QEMU never ran it", e, false);
        }
    }

    private void finishOldQemu() {
        long oldPid = plan.source().pid();
        Optional<ProcessHandle> old = ProcessHandle.of(oldPid);
        try {
            source.qmp().execute("quit");
        } catch (RuntimeException e) {
            // the old QEMU is stopped in postmigrate and no longer owns the guest: it goes one way or the other
            old.ifPresent(ProcessHandle::destroyForcibly);
        }
        old.ifPresent(this::awaitExit);
        source.close();
        for (SocketMove m : plan.standby().socketMoves()) {
            move(m.standbyPath(), m.path());
        }
        plan.standby().pidfile().ifPresent(p -> write(p, standbyPid + "\n"));
        deleteIfExists(migrationSocket);
        plan.close();
    }

    private void awaitExit(ProcessHandle p) {
        try {
            p.onExit().get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            p.destroyForcibly();
            p.onExit().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Kill the standby first (it never ran the guest), then make sure the old QEMU runs it as before. */
    private ReplacementException rollBack(String what, RuntimeException cause) {
        report(Phase.ROLLBACK, 0, 0);
        long oldPid = plan.source().pid();
        QmpClient qmp = source.qmp();
        String state;
        boolean rolledBack = false;
        try {
            if (!MIGRATION_OVER.contains(qmp.execute("query-migrate").path("status").asText("completed"))) {
                qmp.execute("migrate_cancel");
                awaitMigrationOver(qmp);
            }
            if (standby != null) {
                standby.kill();
            }
            boolean running = qmp.execute("query-status").path("running").asBoolean();
            if (plan.source().running() && !running) {
                qmp.execute("cont");
            }
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
            if (target != null) {
                target.close();
            }
            for (SocketMove m : plan.standby().socketMoves()) {
                deleteIfExists(m.standbyPath());
            }
            deleteIfExists(migrationSocket);
            plan.close();
        }
        return new ReplacementException(what + ": " + cause.getMessage() + "; rolled back: " + state, cause,
                rolledBack);
    }

    /** Sleeps for {@code poll}, or less if the migration ends meanwhile: the guest is stopped, every µs counts. */
    private static void awaitQuietly(CompletableFuture<String> over, Duration poll) {
        try {
            over.get(poll.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // poll again
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the migration", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitMigrationOver(QmpClient qmp) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!MIGRATION_OVER.contains(qmp.execute("query-migrate").path("status").asText("completed"))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("migrate_cancel did not end the migration within 30 s");
            }
            QemuProcess.sleep(POLL);
        }
    }

    private void setCapabilities(QmpClient qmp) {
        qmp.execute("migrate-set-capabilities", Map.of("capabilities", List.of(
                Map.of("capability", "x-ignore-shared", "state", options.mode() == ReplacementMode.SHARED),
                Map.of("capability", "events", "state", true))));
    }

    private static Consumer<QmpEvent> event(String name, AtomicLong seen) {
        return e -> {
            if (e.name().equals(name)) {
                seen.compareAndSet(0, e.receivedNanos());
            }
        };
    }

    private void report(Phase phase, int percent, long bytes) {
        listener.progress(new Progress(phase, percent, bytes, (MonotonicClock.nanos() - startNanos) / 1000));
    }

    private static void move(Path from, Path to) {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("the new QEMU runs the VM, but moving its socket " + from + " to " + to
                    + " failed: " + e.getMessage(), e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("the new QEMU runs the VM, but writing its pid to " + file + " failed", e);
        }
    }

    private static void deleteIfExists(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the stale " + p + ": " + e.getMessage(), e);
        }
    }
}
