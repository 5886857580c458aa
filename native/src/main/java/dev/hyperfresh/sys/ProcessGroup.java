package dev.hyperfresh.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The process group a launcher leads (we start every launcher in a session of its own, {@link Spawn}, so its pid is
 * its group's id): signalling the group reaches what a wrapper script started too, which signalling the script alone
 * leaves behind.
 */
public final class ProcessGroup {
    private static final int ESRCH = 3;
    private static final int SIGKILL = 9;

    private ProcessGroup() {
    }

    /**
     * Sends {@code signal} to every process in the group {@code leaderPid} leads; false if none is left. Call it while
     * the leader is still our unreaped child (or the group has members), so the id cannot name someone else's group.
     */
    public static boolean signal(long leaderPid, int signal) {
        if (leaderPid <= 1) {
            throw new IllegalArgumentException("not a process group leader: " + leaderPid);
        }
        if (Sys.C.kill((int) -leaderPid, signal) == 0) {
            return true;
        }
        int errno = Sys.errno();
        if (errno == ESRCH) {
            return false;
        }
        throw new SysException("kill(process group " + leaderPid + ", " + signal + ")", errno);
    }

    /**
     * SIGKILL to the group, then waits until no member of it is left running. A member is gone for our purpose once
     * it is a zombie: the kernel has released its memory mappings (a QEMU's or hfvisor's hold on guest RAM) before it
     * becomes one. Signalling is asynchronous, and a wrapper's child is reparented rather than reaped by us, so
     * killing the leader and waiting for it alone says nothing about when the child has let go of the guest.
     *
     * @return true when the group is empty within {@code timeout}
     */
    public static boolean killAndAwaitEmpty(long leaderPid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        signal(leaderPid, SIGKILL);
        while (hasRunningMember(leaderPid)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Whether any process in group {@code pgid} is not yet a zombie, read from /proc. */
    static boolean hasRunningMember(long pgid) {
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"),
                p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path proc : procs) {
                Optional<ProcStat> stat = ProcStat.ofProcess(Long.parseLong(proc.getFileName().toString()));
                if (stat.isPresent() && !stat.get().zombie() && stat.get().processGroup() == pgid) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("listing /proc for process group " + pgid, e);
        }
    }
}
