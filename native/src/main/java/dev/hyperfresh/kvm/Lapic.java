package dev.hyperfresh.kvm;

/** struct kvm_lapic_state: the local APIC register page. */
public final class Lapic extends KvmStruct<Lapic> {
    public static final int SIZE = 1024;

    public Lapic(byte[] bytes) {
        super(bytes, SIZE);
    }

    @Override
    protected Lapic wrap(byte[] bytes) {
        return new Lapic(bytes);
    }

    /** A 32-bit APIC register by its MMIO offset (e.g. 0x20 = APIC ID, 0x320 = LVT timer). */
    public int register(int offset) {
        return u32(offset);
    }

    public Lapic withRegister(int offset, int value) {
        return withU32(offset, value);
    }
}
