package dev.hyperfresh.sys;

/**
 * A kernel event counter (eventfd): {@link #signal} adds to it, {@link #read} takes it. KVM uses these for
 * irqfd/ioeventfd, and another process can wait on one it received over a {@link UnixSocket}.
 */
public final class EventFd implements AutoCloseable {
    private static final int EFD_SEMAPHORE = 1;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int COUNTER_BYTES = 8;

    public enum Option {
        /** {@link #read} returns 0 instead of blocking while the counter is 0. */
        NONBLOCKING,
        /** {@link #read} takes 1 from the counter instead of all of it. */
        SEMAPHORE
    }

    private final Fd fd;

    private EventFd(Fd fd) {
        this.fd = fd;
    }

    public static EventFd create(int initial, Option... options) {
        int flags = EFD_CLOEXEC;
        for (Option option : options) {
            flags |= switch (option) {
                case NONBLOCKING -> EFD_NONBLOCK;
                case SEMAPHORE -> EFD_SEMAPHORE;
            };
        }
        return new EventFd(new Fd(Sys.check(Sys.C.eventfd(initial, flags), "eventfd(" + initial + ")"), "eventfd"));
    }

    /** An eventfd received from another process (e.g. over a {@link UnixSocket}); takes ownership of {@code fd}. */
    public static EventFd adopt(Fd fd) {
        return new EventFd(fd);
    }

    /** Adds {@code n} to the counter, waking readers; blocks (or fails with EAGAIN if nonblocking) on overflow. */
    public void signal(long n) {
        long[] value = {n};
        while (true) {
            long r = Sys.C.write(fd.get(), value, COUNTER_BYTES);
            if (r >= 0) {
                return;
            }
            int errno = Sys.errno();
            if (errno != Sys.EINTR) {
                throw new SysException("write(" + fd.what() + ")", errno, "signal " + Long.toUnsignedString(n));
            }
        }
    }

    /**
     * Takes the counter (or 1 of it in semaphore mode), waiting while it is 0. Nonblocking, an empty counter returns
     * 0: a successful read is never 0, so the value is unambiguous without an Optional.
     */
    public long read() {
        long[] value = new long[1];
        while (true) {
            long r = Sys.C.read(fd.get(), value, COUNTER_BYTES);
            if (r >= 0) {
                return value[0];
            }
            int errno = Sys.errno();
            if (errno == Sys.EAGAIN) {
                return 0;
            }
            if (errno != Sys.EINTR) {
                throw new SysException("read(" + fd.what() + ")", errno);
            }
        }
    }

    /** The descriptor, e.g. to register with KVM_IRQFD or to send to another process. */
    public Fd fd() {
        return fd;
    }

    @Override
    public void close() {
        fd.close();
    }
}
