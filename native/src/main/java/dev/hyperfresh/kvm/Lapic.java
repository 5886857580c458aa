package dev.hyperfresh.kvm;

import jnr.ffi.Pointer;

/** struct kvm_lapic_state: the local APIC register page. */
public final class Lapic extends KvmStruct<Lapic> {
    public static final int SIZE = 1024;
    private static final int SVR = 0xf0;
    private static final int SVR_APIC_ENABLED = 0x100;

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

    /**
     * Whether the state at {@code state} has the APIC software-enabled (SVR bit 8): a running guest's is; an INIT
     * (and a reset) leaves it disabled until the guest enables it again.
     */
    public static boolean softwareEnabled(Pointer state) {
        return (state.getInt(SVR) & SVR_APIC_ENABLED) != 0;
    }

    /** The same state with the APIC software-enabled (SVR bit 8 set), its spurious vector unchanged. */
    public Lapic withSoftwareEnabled() {
        return withRegister(SVR, register(SVR) | SVR_APIC_ENABLED);
    }
}
