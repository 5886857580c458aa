package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Pidfd;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Settles a replacement whose console ended before it did (killed, crashed, its terminal gone), from the two QEMUs
 * alone. The console lets the new QEMU's load end ({@link StreamHold}) only once the old one's migration has
 * completed, and kills the old one only once the new one runs the VM; the console's end cuts a stream not released
 * yet, and the new QEMU's load fails. So the old QEMU gone, or its migration completed and the new QEMU running once
 * its load has ended, means the new one owns the VM: finish. Anything else means the new QEMU never ran it: kill it,
 * and let the old one run the VM as before. If it cannot tell, it touches neither.
 */
final class UnfinishedReplacement {
    private static final int SIGKILL = 9;
    private static final int EXIT_TIMEOUT_MS = 60_000;
    /** The dead console's QMP connections close with it; QEMU serves the next client once it has seen that. */
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);
    /** A new QEMU whose stream has ended, released or cut, ends its load at once: it is not waited for longer. */
    private static final Duration LOAD_ENDS = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(20);
    /** A QEMU whose QMP socket no longer answers may be on its way out. */
    private static final int EXITING_MS = 2000;

    private final GuardOrders orders;
    private final Fd oldQemu;
    private final List<Fd> standby;
    private final Optional<PidFileService> service;

    /**
     * The pidfds were taken while the console still ran, so no pid here can have been reused; so were the cgroups of
     * the {@code service} the new QEMU takes over, if any.
     */
    UnfinishedReplacement(GuardOrders orders, Fd oldQemu, List<Fd> standby, Optional<PidFileService> service) {
        this.orders = orders;
        this.oldQemu = oldQemu;
        this.standby = List.copyOf(standby);
        this.service = service;
    }

    /** Finishes or undoes the replacement and says which; throws if it could do neither. */
    String settle() {
        if (Pidfd.hasExited(oldQemu)) {
            return finish();
        }
        try (QmpClient old = QmpClient.connect(orders.oldQmp(), QMP_TIMEOUT)) {
            if (old.execute("query-migrate").path("status").asText().equals("completed") && newQemuRuns()) {
                return finish();
            }
            return rollBack(old);
        }
    }

    private boolean newQemuRuns() {
        if (standby.stream().allMatch(Pidfd::hasExited)) {
            return false;
        }
        try (QmpClient qmp = QmpClient.connect(orders.standbyQmp(), QMP_TIMEOUT)) {
            long deadline = System.nanoTime() + LOAD_ENDS.toNanos();
            for (JsonNode status = qmp.execute("query-status"); ; status = qmp.execute("query-status")) {
                if (!status.path("status").asText().equals("inmigrate")) {
                    return status.path("running").asBoolean();
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("it is still loading the migration after "
                            + LOAD_ENDS.toSeconds() + " s");
                }
                QemuProcess.sleep(POLL);
            }
        } catch (RuntimeException e) {
            if (standby.stream().allMatch(pidfd -> Pidfd.awaitExit(pidfd, EXITING_MS))) {
                return false;   // it exited (as QEMU does when its load fails): it runs nothing
            }
            throw new IllegalStateException("cannot tell whether the new QEMU pid " + orders.standbyPid()
                    + " runs the VM (" + e.getMessage() + "); left both QEMUs as they are: the old one, pid "
                    + orders.oldPid() + ", has completed its migration and is stopped", e);
        }
    }

    private String finish() {
        if (orders.service().isPresent() && standby.size() > 1) {
            // the new QEMU's shell (and a wrapper) let go of it, as the console would have: systemd's child by the time
            // systemd takes it
            for (Fd parent : standby.subList(0, standby.size() - 1)) {
                Pidfd.sendSignal(parent, SIGKILL);
                Pidfd.awaitExit(parent, EXIT_TIMEOUT_MS);
            }
        }
        StandbyFiles.writePid(orders.pidfile(), orders.standbyPid(), orders.oldQmp());
        Pidfd.sendSignal(oldQemu, SIGKILL);
        Pidfd.awaitExit(oldQemu, EXIT_TIMEOUT_MS);
        StandbyFiles.takeOver(orders.socketMoves(), orders.migrationSocket());
        String ports = "";
        if (orders.vnc().isPresent() || !orders.forwards().isEmpty()) {
            try (QmpClient now = QmpClient.connect(orders.oldQmp(), QMP_TIMEOUT)) {   // moved there just now
                orders.vnc().ifPresent(v -> v.listenAgain(now));
                if (!orders.forwards().isEmpty()) {
                    orders.forwards().addAgain(now);
                }
            } catch (RuntimeException e) {
                ports = "; " + e.getMessage();
            }
        }
        String followed = service.map(s -> s.follow(orders.standbyPid()).stream().map(p -> "; " + p)
                .collect(Collectors.joining())).orElse("");
        return "finished: the new QEMU pid " + orders.standbyPid() + " runs the VM, the old QEMU pid " + orders.oldPid()
                + " is killed and its sockets taken over" + service.map(s -> ", systemd's " + s.unit() + " taken over")
                .orElse("") + ports + followed;
    }

    private String rollBack(QmpClient old) {
        for (Fd pidfd : standby) {
            Pidfd.sendSignal(pidfd, SIGKILL);
        }
        for (Fd pidfd : standby) {
            Pidfd.awaitExit(pidfd, EXIT_TIMEOUT_MS);
        }
        SourceRollback.cancelMigration(old);
        SourceRollback.resume(old, orders.wasRunning());
        StandbyFiles.discard(orders.socketMoves(), orders.vnc(), orders.migrationSocket());
        return "rolled back: the new QEMU pid " + orders.standbyPid() + " killed before it ran the VM; the VM "
                + (orders.wasRunning() ? "runs" : "stays paused") + " on the old QEMU pid " + orders.oldPid();
    }
}
