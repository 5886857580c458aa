package dev.hyperfresh.kvm;

/** struct kvm_clock_data: the VM's kvmclock value (ns) and, with KVM_CLOCK_REALTIME, the host time it was read at. */
public final class ClockData extends KvmStruct<ClockData> {
    public static final int SIZE = 48;

    public ClockData(byte[] bytes) {
        super(bytes, SIZE);
    }

    @Override
    protected ClockData wrap(byte[] bytes) {
        return new ClockData(bytes);
    }

    /** Guest kvmclock nanoseconds. */
    public long clock() {
        return u64(0);
    }

    public int flags() {
        return u32(8);
    }
}
