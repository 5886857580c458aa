package dev.hyperfresh.sys;

import jnr.ffi.Pointer;

/**
 * A real-time signal used only to interrupt a thread's blocking syscall (KVM_RUN), never handled by Java code.
 *
 * <p>The signal stays blocked in the target thread at all times except inside KVM_RUN (KVM_SET_SIGNAL_MASK), so it
 * never invokes a handler: KVM_RUN returns EINTR, the signal stays pending and {@link #drain()} consumes it.
 *
 * <p>Its disposition is SIG_IGN, so a kick that reaches a thread not blocking it (a vCPU thread that already ended,
 * say) is discarded instead of killing the JVM. That does not weaken kicks: Linux never ignores a signal that is
 * blocked, and during KVM_RUN the thread's normal mask (with the signal blocked) counts as blocked
 * ({@code real_blocked}), so the signal is queued and interrupts KVM_RUN.
 */
public final class ThreadSignals {
    /** sigset_t as glibc lays it out (1024 bits). */
    public static final int SIGSET_BYTES = 128;
    private static final int SIG_BLOCK = 0;
    private static final int SIG_SETMASK = 2;
    private static final int SIGINFO_BYTES = 128;

    private static final long SIG_IGN = 1;
    private static final int KICK_SIGNAL = ignored(LibC.INSTANCE.__libc_current_sigrtmin() + 6);

    private ThreadSignals() {
    }

    private static int ignored(int signal) {
        if (LibC.INSTANCE.signal(signal, SIG_IGN) == -1) {
            throw new SysException("signal(" + signal + ", SIG_IGN)", Sys.errno());
        }
        return signal;
    }

    /** The signal number used for kicks. */
    public static int kickSignal() {
        return KICK_SIGNAL;
    }

    /** Blocks the kick signal in the calling thread and returns the thread's resulting signal mask. */
    public static Pointer blockKickInCurrentThread() {
        Pointer set = kickSet();
        int err = Sys.C.pthread_sigmask(SIG_BLOCK, set, null);
        if (err != 0) {
            throw new SysException("pthread_sigmask(SIG_BLOCK)", err);
        }
        Pointer mask = Sys.allocate(SIGSET_BYTES);
        err = Sys.C.pthread_sigmask(SIG_SETMASK, null, mask);
        if (err != 0) {
            throw new SysException("pthread_sigmask(query)", err);
        }
        return mask;
    }

    /** Sends the kick signal to one thread of this process. */
    public static void kick(int tid) {
        Sys.check(Sys.C.tgkill(Sys.C.getpid(), tid, KICK_SIGNAL), "tgkill(" + tid + ")");
    }

    /**
     * Blocks the calling thread (which has {@link #blockKickInCurrentThread() blocked the kick}) until a kick
     * arrives, with the kick unblocked only while it waits: the kernel's view of a thread in KVM_RUN under
     * KVM_SET_SIGNAL_MASK, without a KVM, for harnesses that time the kick. Like KVM_RUN it records the thread's
     * real mask while waiting ({@code real_blocked}), which keeps the ignored kick from being discarded; ppoll or
     * sigsuspend with a mask would not, and would sleep through it. Unlike KVM_RUN it consumes the kick, so a
     * following {@link #drain()} finds none.
     */
    public static void sleepUntilKicked() {
        Pointer set = kickSet();
        Pointer info = Sys.allocate(SIGINFO_BYTES);
        while (Sys.C.sigtimedwait(set, info, null) < 0) {
            int e = Sys.errno();
            if (e != Sys.EINTR) {
                throw new SysException("sigtimedwait(kick)", e);
            }
        }
    }

    /** Consumes a pending kick in the calling thread, if any; returns whether one was pending. */
    public static boolean drain() {
        Pointer set = kickSet();
        Pointer zero = Sys.allocate(16);
        int r = Sys.C.sigtimedwait(set, Sys.allocate(SIGINFO_BYTES), zero);
        if (r < 0) {
            int e = Sys.errno();
            if (e == Sys.EAGAIN) {
                return false;
            }
            throw new SysException("sigtimedwait", e);
        }
        return true;
    }

    public static int currentTid() {
        return Sys.C.gettid();
    }

    static Pointer kickSet() {
        Pointer set = Sys.allocate(SIGSET_BYTES);
        int bit = KICK_SIGNAL - 1;
        set.putLong(8L * (bit / 64), 1L << (bit % 64));
        return set;
    }
}
