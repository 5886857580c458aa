package dev.hyperfresh.kvm;

import jnr.ffi.Pointer;

/** struct kvm_vcpu_events: pending exceptions, interrupts, NMIs and SMIs. */
public final class VcpuEvents extends KvmStruct<VcpuEvents> {
    public static final int SIZE = 64;
    private static final int EXCEPTION_INJECTED = 0;
    private static final int EXCEPTION_NR = 1;
    private static final int EXCEPTION_PENDING = 3;
    private static final int FLAGS = 24;
    /** KVM_VCPUEVENT_VALID_NMI_PENDING, _SIPI_VECTOR, _SHADOW, _SMM: what every KVM takes without a VM capability. */
    private static final int PLAIN_FLAGS = 0x1 | 0x2 | 0x4 | 0x8;
    private static final int NMI_VECTOR = 2;

    public VcpuEvents(byte[] bytes) {
        super(bytes, SIZE);
    }

    @Override
    protected VcpuEvents wrap(byte[] bytes) {
        return new VcpuEvents(bytes);
    }

    /**
     * Whether KVM_SET_VCPU_EVENTS takes the struct at {@code state} on any VM: no flag that needs a capability
     * enabled on the VM (exception payloads, triple faults) and no exception KVM refuses. Such a struct can be set
     * at the next KVM_RUN instead, where a refusal could no longer be answered by keeping the old state.
     */
    public static boolean settableAnywhere(Pointer state) {
        if ((state.getInt(FLAGS) & ~PLAIN_FLAGS) != 0) {
            return false;
        }
        boolean exception = state.getByte(EXCEPTION_INJECTED) != 0 || state.getByte(EXCEPTION_PENDING) != 0;
        int nr = state.getByte(EXCEPTION_NR) & 0xff;
        return !exception || (nr <= 31 && nr != NMI_VECTOR);
    }
}
