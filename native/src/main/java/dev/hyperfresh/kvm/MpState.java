package dev.hyperfresh.kvm;

/** struct kvm_mp_state: whether a vCPU runs, waits for SIPI, or is halted. */
public enum MpState {
    RUNNABLE(0),
    UNINITIALIZED(1),
    INIT_RECEIVED(2),
    HALTED(3),
    SIPI_RECEIVED(4),
    STOPPED(5),
    CHECK_STOP(6),
    OPERATING(7),
    LOAD(8),
    AP_RESET_HOLD(9),
    SUSPENDED(10);

    private final int value;

    MpState(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }

    public static MpState of(int value) {
        for (MpState s : values()) {
            if (s.value == value) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown KVM mp_state " + value);
    }
}
