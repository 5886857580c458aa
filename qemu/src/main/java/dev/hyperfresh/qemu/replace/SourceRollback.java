package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.qemu.qmp.QmpClient;
import java.time.Duration;
import java.util.Set;

/** The old QEMU's part of a rollback, one way for the replacement and for its guard. */
final class SourceRollback {
    private static final Duration POLL = Duration.ofMillis(20);
    private static final Duration CANCEL_TIMEOUT = Duration.ofSeconds(30);
    private static final Set<String> MIGRATION_OVER = Set.of("none", "completed", "failed", "cancelled");

    private SourceRollback() {
    }

    /** Cancels the old QEMU's migration if one is under way and waits until it is over; throws if it will not end. */
    static void cancelMigration(QmpClient qmp) {
        if (migrationOver(qmp)) {
            return;
        }
        qmp.execute("migrate_cancel");
        long deadline = System.nanoTime() + CANCEL_TIMEOUT.toNanos();
        while (!migrationOver(qmp)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("migrate_cancel did not end the migration within "
                        + CANCEL_TIMEOUT.toSeconds() + " s");
            }
            QemuProcess.sleep(POLL);
        }
    }

    /** Runs the VM on the old QEMU again if it ran before the replacement (a completed migration stopped it). */
    static void resume(QmpClient qmp, boolean wasRunning) {
        if (wasRunning && !qmp.execute("query-status").path("running").asBoolean()) {
            qmp.execute("cont");
        }
    }

    private static boolean migrationOver(QmpClient qmp) {
        return MIGRATION_OVER.contains(qmp.execute("query-migrate").path("status").asText("none"));
    }
}
