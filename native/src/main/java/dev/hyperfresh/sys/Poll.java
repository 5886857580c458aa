package dev.hyperfresh.sys;

import jnr.ffi.Pointer;

/** poll(2) over a few descriptors: the one wait that ends on whichever of them has something to say first. */
public final class Poll {
    private static final short POLLIN = 1;
    private static final int POLLFD_BYTES = 8;

    private Poll() {
    }

    /**
     * Waits until one of {@code fds} is readable (for a pidfd: its process has exited) and returns its index, or -1
     * when {@code timeoutMillis} passed first (negative: no limit). A signal interrupting the wait counts as a time-out.
     */
    public static int readable(int timeoutMillis, Fd... fds) {
        Pointer pollfds = Sys.allocate(POLLFD_BYTES * fds.length);
        for (int i = 0; i < fds.length; i++) {
            pollfds.putInt((long) i * POLLFD_BYTES, fds[i].get());
            pollfds.putShort((long) i * POLLFD_BYTES + 4, POLLIN);
        }
        int r = Sys.C.poll(pollfds, fds.length, timeoutMillis);
        if (r < 0) {
            int errno = Sys.errno();
            if (errno == Sys.EINTR) {
                return -1;
            }
            throw new SysException("poll", errno);
        }
        for (int i = 0; i < fds.length; i++) {
            if (pollfds.getShort((long) i * POLLFD_BYTES + 6) != 0) {
                return i;
            }
        }
        return -1;
    }
}
