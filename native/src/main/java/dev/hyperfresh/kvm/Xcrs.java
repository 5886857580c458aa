package dev.hyperfresh.kvm;

/** struct kvm_xcrs: extended control registers (XCR0). */
public final class Xcrs extends KvmStruct<Xcrs> {
    public static final int SIZE = 392;

    public Xcrs(byte[] bytes) {
        super(bytes, SIZE);
    }

    @Override
    protected Xcrs wrap(byte[] bytes) {
        return new Xcrs(bytes);
    }
}
