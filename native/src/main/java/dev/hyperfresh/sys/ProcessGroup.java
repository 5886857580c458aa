package dev.hyperfresh.sys;

/**
 * The process group a launcher leads (we start every launcher through {@code setsid}, so its pid is its group's id):
 * signalling the group reaches what a wrapper script started too, which signalling the script alone leaves behind.
 */
public final class ProcessGroup {
    private static final int ESRCH = 3;

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
}
