package dev.hyperfresh.sys;

import jnr.ffi.Pointer;
import java.util.OptionalLong;

/**
 * A normal (SCHED_OTHER) thread's own time slice, EEVDF's custom slice (Linux 6.12 and later; sched_setattr(2)'s
 * sched_runtime). A waking thread whose slice is shorter than the running one's preempts it at once instead of
 * waiting for the running one to use up its slice (1.4 ms here): the thread gets a CPU within microseconds without
 * a real-time class, and nothing can hog a CPU through it. Older kernels ignore the value. Setting it takes the
 * thread's owner or CAP_SYS_NICE; where not allowed, nothing changes and the setter says so.
 */
public final class TimeSlice {
    public static final long SHORTEST_NANOS = 100_000;
    /** The value that gives a thread the kernel's default slice back. */
    public static final long DEFAULT = 0;
    private static final long SYS_SCHED_SETATTR = 314;
    private static final long SYS_SCHED_GETATTR = 315;
    /** SCHED_ATTR_SIZE_VER0: size, policy, flags, nice, priority, runtime, deadline, period. */
    private static final int ATTR_BYTES = 48;
    private static final int POLICY = 4;
    private static final int RUNTIME = 24;
    private static final int SCHED_OTHER = 0;

    private TimeSlice() {
    }

    /** Thread {@code tid}'s slice in ns (its own or the default), or empty if it has gone or is not a normal one. */
    public static OptionalLong of(int tid) {
        Pointer attr = read(tid);
        return attr == null ? OptionalLong.empty() : OptionalLong.of(attr.getLong(RUNTIME));
    }

    /** Sets thread {@code tid}'s slice ({@link #DEFAULT}: the kernel's), keeping its nice value; false where not. */
    public static boolean set(int tid, long nanos) {
        Pointer attr = read(tid);
        if (attr == null) {
            return false;
        }
        attr.putLong(RUNTIME, nanos);
        return Sys.C.syscall(SYS_SCHED_SETATTR, tid, attr, 0, 0) == 0;
    }

    private static Pointer read(int tid) {
        Pointer attr = Sys.allocate(ATTR_BYTES);
        if (Sys.C.syscall(SYS_SCHED_GETATTR, tid, attr, ATTR_BYTES, 0) != 0 || attr.getInt(POLICY) != SCHED_OTHER) {
            return null;
        }
        return attr;
    }
}
