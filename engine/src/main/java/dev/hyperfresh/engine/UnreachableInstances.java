package dev.hyperfresh.engine;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The hfvisor processes of a socket directory that no socket there answers for: each holds its name's lock
 * ({@code NAME.lock}, open for good), but its socket file is gone — deleted under an older build, which does not
 * bind it again, or another instance took the name while its files were gone. Their VMs run on, out of the
 * console's reach: {@code list} says so, with the pid to end them by (SIGTERM: their guests asked to shut down).
 */
final class UnreachableInstances {
    private static final String DELETED = " (deleted)";

    private UnreachableInstances() {
    }

    /**
     * Those of {@code socketDir}, given the instances that answer there. Every process is looked at, cheaply: the
     * name of its executable (one readlink) first, a JVM's command line and open files only then. (Not through
     * /proc/locks, which names every lock's holder in one file: reading it waited ~15 ms for an RCU grace period.)
     */
    static List<Instance> find(Path socketDir, List<Instance> answering) {
        Set<Long> reachable = new HashSet<>();
        for (Instance i : answering) {
            if (!i.isStale()) {
                reachable.add(i.info().pid());
            }
        }
        List<Instance> found = new ArrayList<>();
        String prefix = socketDir.toAbsolutePath().normalize() + "/";
        String[] processes = new File("/proc").list();
        for (String entry : processes == null ? new String[0] : processes) {
            if (entry.isEmpty() || !Character.isDigit(entry.charAt(0))) {
                continue;
            }
            long pid = Long.parseLong(entry);
            Path process = Path.of("/proc", entry);
            if (reachable.contains(pid) || !isHfvisor(process)) {
                continue;
            }
            for (String lock : locksHeld(process, prefix)) {
                boolean deleted = lock.endsWith(DELETED);
                String file = lock.substring(prefix.length(), lock.length() - (deleted ? DELETED.length() : 0));
                String name = file.substring(0, file.length() - ".lock".length());
                if (!sharesTheLockOf(name, deleted, answering)) {
                    found.add(Instance.unreachable(name, socketDir.resolve(name + HfvisorEngine.SOCKET_SUFFIX), pid,
                            "hfvisor pid " + pid + " holds the name but has no socket here (" + (deleted
                                    ? "its socket and lock files were deleted, and another process holds the name"
                                    : "its socket file was deleted; builds before 2026-12-07 do not bind it again")
                                    + "): its VMs run on out of reach; `kill -TERM " + pid + "` ends it, its"
                                    + " guests asked to shut down first"));
                }
            }
        }
        return found;
    }

    /**
     * Whether it holds the very lock an instance answering under the name holds: the old instance of a handover,
     * until it exits (a lock deleted since is another one).
     */
    private static boolean sharesTheLockOf(String name, boolean lockDeleted, List<Instance> answering) {
        for (Instance i : answering) {
            if (!i.isStale() && i.name().equals(name) && !lockDeleted) {
                return true;
            }
        }
        return false;
    }

    /** A JVM (its executable named java) running hfvisor's main class. */
    private static boolean isHfvisor(Path process) {
        try {
            if (!Files.readSymbolicLink(process.resolve("exe")).endsWith("java")) {
                return false;
            }
        } catch (IOException kernelThreadOrNotOurs) {
            return false;
        }
        try (FileInputStream in = new FileInputStream(process.resolve("cmdline").toFile())) {
            String cmdline = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return cmdline.contains("dev.hyperfresh.vmm.cli.HfvisorMain") || cmdline.contains("hyperfresh-vmm.jar");
        } catch (IOException gone) {
            return false;
        }
    }

    /** The lock files directly in the directory {@code prefix} names that {@code process} has open, as /proc says. */
    private static List<String> locksHeld(Path process, String prefix) {
        List<String> locks = new ArrayList<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith(prefix) && (target.endsWith(".lock") || target.endsWith(".lock" + DELETED))
                            && target.indexOf('/', prefix.length()) < 0) {
                        locks.add(target);
                    }
                } catch (IOException closedMeanwhile) {
                    // the process closed it, or ended
                }
            }
        } catch (IOException | RuntimeException gone) {
            // ended, or not ours to read
        }
        return locks;
    }
}
