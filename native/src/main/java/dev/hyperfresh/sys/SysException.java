package dev.hyperfresh.sys;

import jnr.constants.platform.Errno;

/** A failed Linux call: carries the call's name (e.g. {@code ioctl(KVM_RUN)}) and errno with its text. */
public class SysException extends RuntimeException {
    private final String call;
    private final int errno;

    public SysException(String call, int errno) {
        this(call, errno, null);
    }

    public SysException(String call, int errno, String detail) {
        super(call + " failed: " + errnoName(errno) + " (" + LibC.INSTANCE.strerror(errno) + ")"
                + (detail == null ? "" : ": " + detail));
        this.call = call;
        this.errno = errno;
    }

    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    /** A receive time-out (SO_RCVTIMEO) ran out: EAGAIN. */
    public boolean timedOut() {
        return errno == Errno.EAGAIN.intValue();
    }

    public static String errnoName(int errno) {
        Errno e = Errno.valueOf(errno);
        return e == Errno.__UNKNOWN_CONSTANT__ ? "errno " + errno : e.name();
    }
}
