package dev.hyperfresh.kvm;

import jnr.ffi.Pointer;

/** struct kvm_translation: where a guest linear address leads, and what the guest's page tables allow there. */
public record Translation(long linear, long physical, boolean valid, boolean writeable, boolean usermode) {
    static final int SIZE = 24;

    static Translation read(long linear, Pointer p) {
        return new Translation(linear, p.getLong(8), p.getByte(16) != 0, p.getByte(17) != 0, p.getByte(18) != 0);
    }
}
