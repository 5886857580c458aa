package dev.hyperfresh.sys;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * An owned file descriptor. Closing is idempotent; using a closed Fd raises a clear error instead of touching
 * whatever file later reuses the number.
 */
public class Fd implements AutoCloseable {
    private static final int F_DUPFD_CLOEXEC = 1030;
    private final String what;
    private final AtomicInteger fd;

    public Fd(int fd, String what) {
        if (fd < 0) {
            throw new IllegalArgumentException("invalid fd " + fd + " for " + what);
        }
        this.fd = new AtomicInteger(fd);
        this.what = what;
    }

    /** The raw number, for passing to a native call. */
    public int get() {
        int n = fd.get();
        if (n < 0) {
            throw new IllegalStateException(what + " is closed");
        }
        return n;
    }

    /**
     * Another descriptor of the same open file (close-on-exec): what belongs to the open file, such as a flock or a
     * tap queue's attachment, stays while either is open.
     */
    public Fd dup() {
        return new Fd(Sys.check(Sys.C.fcntl(get(), F_DUPFD_CLOEXEC, 0), "fcntl(" + what + ", F_DUPFD_CLOEXEC)"), what);
    }

    public boolean isOpen() {
        return fd.get() >= 0;
    }

    public String what() {
        return what;
    }

    @Override
    public void close() {
        int n = fd.getAndSet(-1);
        if (n >= 0) {
            Sys.check(Sys.C.close(n), "close(" + what + ")");
        }
    }

    @Override
    public String toString() {
        return what + "[fd " + fd.get() + "]";
    }
}
