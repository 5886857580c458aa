package dev.hyperfresh.kvm;

/** struct kvm_fpu: the legacy x87/SSE state (FXSAVE layout). */
public final class Fpu extends KvmStruct<Fpu> {
    public static final int SIZE = 416;

    public Fpu(byte[] bytes) {
        super(bytes, SIZE);
    }

    @Override
    protected Fpu wrap(byte[] bytes) {
        return new Fpu(bytes);
    }
}
