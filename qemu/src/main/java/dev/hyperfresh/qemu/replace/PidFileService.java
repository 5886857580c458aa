package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.sys.Cgroups;
import dev.hyperfresh.sys.IoFailure;
import dev.hyperfresh.sys.ServiceSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The systemd service a new QEMU takes over: one of {@code Type=forking} whose {@code PIDFile=} is the old QEMU's
 * pid file, it and every directory above it owned by root, the old QEMU its main process. The replacement writes the
 * new QEMU's pid there before it kills the old one, so that systemd, reading the file as its main process dies, takes
 * the new QEMU for its main process and keeps the service — its restart policy never sees an end. From root's file
 * on root's path (what systemd calls safe) it does so even for a process outside the service's cgroup; from any
 * other it would refuse, end the service, and with {@code Restart=} start the VM's QEMU again. Only once systemd has
 * taken it does the new QEMU join the service's cgroups: were systemd to end the service after all, it would kill
 * what is in them.
 */
record PidFileService(String unit, List<Cgroups.Cgroup> cgroups) {
    private static final long ADOPTION_TIMEOUT_MS = 2000;
    private static final long POLL_MS = 5;

    /** {@code settings}' service, if QEMU {@code pid}, whose pid file is {@code pidfile}, can hand it on so. */
    static Optional<PidFileService> of(ServiceSettings settings, Optional<Path> pidfile, long pid) {
        Optional<Path> its = settings.forkingPidFile();
        if (its.isEmpty() || pidfile.isEmpty() || settings.mainPid() != pid) {
            return Optional.empty();
        }
        try {
            if (!Files.isSameFile(its.get(), pidfile.get()) || !ownedByRoot(its.get().toRealPath())) {
                return Optional.empty();
            }
            return Optional.of(of(settings.unit(), pid));
        } catch (IOException unreadable) {
            return Optional.empty();
        }
    }

    /** Service {@code unit} as a guard settling a replacement takes it over, with old QEMU {@code oldPid}'s cgroups. */
    static PidFileService of(String unit, long oldPid) throws IOException {
        return new PidFileService(unit, Cgroups.of(oldPid));
    }

    private static boolean ownedByRoot(Path path) throws IOException {
        for (Path p = path; p != null; p = p.getParent()) {
            if (!Files.getAttribute(p, "unix:uid").equals(0)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Once the old QEMU has been killed: waits for systemd to take {@code successor} for the service's main process,
     * then moves it into the service's cgroups. What could not be done, in words.
     */
    List<String> follow(long successor) {
        String outside = "the new QEMU (pid " + successor + ") runs outside systemd's " + unit + "'s cgroups: ";
        try {
            long deadline = System.nanoTime() + ADOPTION_TIMEOUT_MS * 1_000_000;
            for (long main = ServiceSettings.of(unit).mainPid(); main != successor; main = ServiceSettings.of(unit)
                    .mainPid()) {
                if (System.nanoTime() > deadline) {
                    return List.of(outside + "systemd did not take it for the service's main process in "
                            + ADOPTION_TIMEOUT_MS + " ms (its MainPID is " + main + ")");
                }
                Thread.sleep(POLL_MS);
            }
            Cgroups.join(successor, cgroups);
            return List.of();
        } catch (IOException e) {
            return List.of(outside + IoFailure.reason(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of(outside + "interrupted waiting for systemd");
        }
    }
}
