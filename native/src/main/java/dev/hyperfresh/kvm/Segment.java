package dev.hyperfresh.kvm;

/** struct kvm_segment: one segment register's hidden descriptor state. */
public record Segment(long base, int limit, int selector, int type, boolean present, int dpl, boolean db,
                      boolean s, boolean l, boolean g, boolean avl, boolean unusable) {
    static final int SIZE = 24;

    /** A flat 64-bit code segment (L=1) or flat data segment with the given selector. */
    public static Segment flat64Code(int selector) {
        return new Segment(0, 0xffffffff, selector, 0xb, true, 0, false, true, true, true, false, false);
    }

    public static Segment flatData(int selector) {
        return new Segment(0, 0xffffffff, selector, 0x3, true, 0, true, true, false, true, false, false);
    }

    /** A flat 32-bit protected-mode code segment. */
    public static Segment flat32Code(int selector) {
        return new Segment(0, 0xffffffff, selector, 0xb, true, 0, true, true, false, true, false, false);
    }

    byte[] encode() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(base).putInt(limit).putShort((short) selector).put((byte) type).put(bit(present))
                .put((byte) dpl).put(bit(db)).put(bit(s)).put(bit(l)).put(bit(g)).put(bit(avl)).put(bit(unusable));
        return b.array();
    }

    static Segment decode(KvmStruct<?> st, int off) {
        return new Segment(st.u64(off), st.u32(off + 8), st.u16(off + 12), st.u8(off + 14), st.u8(off + 15) != 0,
                st.u8(off + 16), st.u8(off + 17) != 0, st.u8(off + 18) != 0, st.u8(off + 19) != 0,
                st.u8(off + 20) != 0, st.u8(off + 21) != 0, st.u8(off + 22) != 0);
    }

    private static byte bit(boolean v) {
        return (byte) (v ? 1 : 0);
    }
}
