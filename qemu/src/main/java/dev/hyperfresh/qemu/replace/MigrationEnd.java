package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.qemu.qmp.QmpEvent;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * How the migration ends on both sides, learnt from QMP events the moment QEMU sends them (no polling): the source
 * has completed it ({@code MIGRATION completed}: guest stopped, everything sent; before that, QEMU itself would
 * resume the guest there on an error), which is what the commit point waits for; and the standby has loaded it (its
 * own {@code MIGRATION completed}, which QEMU sends after setting the run state: running, its {@code RESUME} read
 * before, or paused). Either side's failure, or the standby process exiting, ends a wait at once.
 */
final class MigrationEnd {
    private final CompletableFuture<Void> sourceCompleted = new CompletableFuture<>();
    /** True if the standby runs the guest: it reported RESUME before its completion. */
    private final CompletableFuture<Boolean> standbyLoaded = new CompletableFuture<>();
    private volatile boolean standbyResumed;
    private volatile boolean standbyFailed;
    private volatile Runnable onSourceCompleted = () -> { };
    /** Only ever completes exceptionally, with the first failure seen. */
    private final CompletableFuture<Void> failure = new CompletableFuture<>();

    MigrationEnd(QemuProcess standby) {
        standby.process().onExit().thenRun(() -> fail("the new QEMU exited during the migration: "
                + standby.outputTail()));
    }

    Consumer<QmpEvent> sourceEvents() {
        return e -> {
            if (e.name().equals("MIGRATION")) {
                switch (e.data().path("status").asText()) {
                    case "completed" -> {
                        onSourceCompleted.run();   // before the waiting thread is woken, which would delay it
                        sourceCompleted.complete(null);
                    }
                    case "failed", "cancelled" -> fail("the old QEMU reports the migration "
                            + e.data().path("status").asText());
                    default -> { }
                }
            }
        };
    }

    Consumer<QmpEvent> standbyEvents() {
        return e -> {
            if (e.name().equals("RESUME")) {
                standbyResumed = true;
            } else if (e.name().equals("MIGRATION")) {
                switch (e.data().path("status").asText()) {
                    case "completed" -> standbyLoaded.complete(standbyResumed);
                    case "failed", "cancelled" -> {
                        standbyFailed = !standbyResumed;
                        fail("the new QEMU could not load the migration: its status is "
                                + e.data().path("status").asText());
                    }
                    default -> { }
                }
            }
        };
    }

    /**
     * Runs {@code action} on the QMP reader that learns the source has completed, the moment it does; it must not
     * wait. Set before the migration starts.
     */
    void whenSourceCompleted(Runnable action) {
        onSourceCompleted = action;
    }

    /**
     * Waits until the source has completed, at most {@code timeout}; every {@code refresh} without news,
     * {@code meanwhile} runs (progress for the operator, never on the way to the commit point).
     */
    void awaitSourceCompleted(Duration timeout, Duration refresh, Runnable meanwhile) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!await(sourceCompleted, Math.min(refresh.toNanos(), deadline - System.nanoTime()))) {
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("the migration did not finish within " + timeout.toSeconds() + " s");
            }
            meanwhile.run();
        }
    }

    /** Waits until the standby has loaded the migration; true if it runs the guest, false if it holds it paused. */
    boolean awaitStandbyLoaded(Duration timeout) {
        if (!await(standbyLoaded, timeout.toNanos())) {
            throw new IllegalStateException("the new QEMU did not report the state loaded within "
                    + timeout.toSeconds() + " s");
        }
        return standbyLoaded.join();
    }

    /**
     * True once the standby has reported its load failed, with no {@code RESUME} before: it never ran the guest, and
     * a rollback to the old QEMU is safe even after the commit point.
     */
    boolean standbyNeverRan() {
        return standbyFailed;
    }

    private boolean await(CompletableFuture<?> fact, long nanos) {
        try {
            CompletableFuture.anyOf(fact, failure).get(Math.max(0, nanos), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the migration", e);
        }
    }

    private void fail(String why) {
        failure.completeExceptionally(new IllegalStateException(why));
    }
}
