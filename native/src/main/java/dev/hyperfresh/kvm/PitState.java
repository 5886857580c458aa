package dev.hyperfresh.kvm;

/** struct kvm_pit_state2: the in-kernel PIT's three channels. */
public final class PitState extends KvmStruct<PitState> {
    public static final int SIZE = 112;

    public PitState(byte[] bytes) {
        super(bytes, SIZE);
    }

    @Override
    protected PitState wrap(byte[] bytes) {
        return new PitState(bytes);
    }
}
