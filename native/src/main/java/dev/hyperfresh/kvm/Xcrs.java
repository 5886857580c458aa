package dev.hyperfresh.kvm;

import java.util.OptionalLong;

/** struct kvm_xcrs: extended control registers (XCR0). */
public final class Xcrs extends KvmStruct<Xcrs> {
    public static final int SIZE = 392;
    private static final int MAX_XCRS = 16, ENTRIES = 8, ENTRY_SIZE = 16;

    public Xcrs(byte[] bytes) {
        super(bytes, SIZE);
    }

    /**
     * The value of extended control register {@code xcr} (0 = XCR0) among the {@code nr_xcrs} entries KVM filled
     * in, or empty when KVM did not report it.
     */
    public OptionalLong value(int xcr) {
        for (int i = 0; i < Math.min(u32(0), MAX_XCRS); i++) {
            if (u32(ENTRIES + i * ENTRY_SIZE) == xcr) {
                return OptionalLong.of(u64(ENTRIES + i * ENTRY_SIZE + 8));
            }
        }
        return OptionalLong.empty();
    }

    @Override
    protected Xcrs wrap(byte[] bytes) {
        return new Xcrs(bytes);
    }
}
