package dev.hyperfresh.sys;


/**
 * Process file descriptors: a stable handle on a process (immune to pid reuse) and a way to duplicate one of its
 * open files into this process without its cooperation.
 */
public final class Pidfd {
    private static final int EPERM = 1;
    private static final int ESRCH = 3;

    private Pidfd() {
    }

    /** A pidfd for {@code pid}; close-on-exec, as pidfd_open always makes it. */
    public static Fd open(int pid) {
        return new Fd(Sys.check(Sys.C.pidfd_open(pid, 0), "pidfd_open(pid " + pid + ")"), "pidfd of pid " + pid);
    }

    /** True once the process behind {@code pidfd} has exited (zombies included); never blocks. */
    public static boolean hasExited(Fd pidfd) {
        return awaitExit(pidfd, 0);
    }

    /**
     * Waits up to {@code timeoutMs} for the process behind {@code pidfd} to exit (zombies included, so it works for
     * processes that are not our children); true once it has.
     */
    public static boolean awaitExit(Fd pidfd, int timeoutMs) {
        return Poll.readable(timeoutMs, pidfd) == 0;
    }

    /**
     * Sends {@code signal} to exactly the process behind {@code pidfd}, never to a later process that reused its pid;
     * false if it has exited already.
     */
    public static boolean sendSignal(Fd pidfd, int signal) {
        if (Sys.C.pidfd_send_signal(pidfd.get(), signal, null, 0) == 0) {
            return true;
        }
        int errno = Sys.errno();
        if (errno == ESRCH) {
            return false;
        }
        throw new SysException("pidfd_send_signal(" + pidfd.what() + ", " + signal + ")", errno);
    }

    /**
     * Duplicates the target process's descriptor {@code targetFd} into this process (close-on-exec). The kernel
     * allows this only with ptrace-attach rights over the target: same uid and not restricted by Yama
     * (kernel.yama.ptrace_scope), or CAP_SYS_PTRACE.
     */
    public static Fd getFd(Fd pidfd, int targetFd) {
        int r = Sys.C.pidfd_getfd(pidfd.get(), targetFd, 0);
        if (r < 0) {
            int errno = Sys.errno();
            throw new SysException("pidfd_getfd(" + pidfd.what() + ", fd " + targetFd + ")", errno,
                    errno == EPERM ? "needs ptrace-attach rights over the target process" : null);
        }
        return new Fd(r, "fd " + targetFd + " of " + pidfd.what());
    }
}
