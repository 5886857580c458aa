package dev.hyperfresh.kvm;

/** struct kvm_vcpu_events: pending exceptions, interrupts, NMIs and SMIs. */
public final class VcpuEvents extends KvmStruct<VcpuEvents> {
    public static final int SIZE = 64;

    public VcpuEvents(byte[] bytes) {
        super(bytes, SIZE);
    }

    @Override
    protected VcpuEvents wrap(byte[] bytes) {
        return new VcpuEvents(bytes);
    }
}
