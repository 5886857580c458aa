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

    /**
     * A copy without the channels' count_load_time (host ktime at the last counter load): KVM rewrites it on every
     * SET_PIT2, so it is not part of what the guest can observe.
     */
    public PitState withoutLoadTimes() {
        PitState p = this;
        for (int channel = 0; channel < 3; channel++) {
            p = p.withU64(channel * 24 + 16, 0);
        }
        return p;
    }
}
