package dev.hyperfresh.kvm;

/** Why KVM_RUN returned (kvm_run.exit_reason), plus {@link #INTR} for a kick (EINTR). */
public enum ExitReason {
    UNKNOWN(0), EXCEPTION(1), IO(2), HYPERCALL(3), DEBUG(4), HLT(5), MMIO(6), IRQ_WINDOW_OPEN(7), SHUTDOWN(8),
    FAIL_ENTRY(9), INTR(10), SET_TPR(11), TPR_ACCESS(12), NMI(16), INTERNAL_ERROR(17), SYSTEM_EVENT(24),
    /** A reason this binding does not name; the raw number is in {@link KvmRun#exitReason()}. */
    OTHER(-1);

    private static final ExitReason[] BY_NUMBER = new ExitReason[32];

    static {
        for (ExitReason r : values()) {
            if (r.number >= 0) {
                BY_NUMBER[r.number] = r;
            }
        }
    }

    private final int number;

    ExitReason(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    static ExitReason of(int number) {
        ExitReason r = number >= 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
        return r == null ? OTHER : r;
    }
}
