package dev.hyperfresh.kvm;

/** struct kvm_debugregs: DR0-DR3, DR6, DR7. */
public final class DebugRegs extends KvmStruct<DebugRegs> {
    public static final int SIZE = 128;

    public DebugRegs(byte[] bytes) {
        super(bytes, SIZE);
    }

    @Override
    protected DebugRegs wrap(byte[] bytes) {
        return new DebugRegs(bytes);
    }
}
