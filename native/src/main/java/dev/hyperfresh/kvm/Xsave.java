package dev.hyperfresh.kvm;

/**
 * struct kvm_xsave: the full XSAVE area (x87, SSE, AVX and more). At least 4096 bytes; larger when
 * KVM_CAP_XSAVE2 reports more (AMX).
 */
public final class Xsave extends KvmStruct<Xsave> {
    public static final int MIN_SIZE = 4096;

    public Xsave(byte[] bytes) {
        super(bytes, MIN_SIZE);
    }

    @Override
    protected Xsave wrap(byte[] bytes) {
        return new Xsave(bytes);
    }
}
