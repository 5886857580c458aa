package dev.hyperfresh.kvm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import jnr.ffi.Pointer;

/**
 * A KVM state structure held as its exact kernel ABI bytes: immutable, comparable by content, cheap to copy and to
 * serialise. Typed subclasses add named accessors; {@code with*} methods return modified copies.
 */
public abstract class KvmStruct<T extends KvmStruct<T>> {
    private final byte[] bytes;

    protected KvmStruct(byte[] bytes, int minSize) {
        if (bytes.length < minSize) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " needs " + minSize + " bytes, got "
                    + bytes.length);
        }
        this.bytes = bytes;
    }

    protected abstract T wrap(byte[] bytes);

    public final int size() {
        return bytes.length;
    }

    /** A copy of the raw kernel bytes. */
    public final byte[] toBytes() {
        return bytes.clone();
    }

    final void writeTo(Pointer p) {
        p.put(0, bytes, 0, bytes.length);
    }

    final void writeTo(Pointer p, long offset) {
        p.put(offset, bytes, 0, bytes.length);
    }

    public final long u64(int offset) {
        return le().getLong(offset);
    }

    public final int u32(int offset) {
        return le().getInt(offset);
    }

    public final int u16(int offset) {
        return le().getShort(offset) & 0xffff;
    }

    public final int u8(int offset) {
        return bytes[offset] & 0xff;
    }

    public final T withU64(int offset, long value) {
        byte[] b = bytes.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(offset, value);
        return wrap(b);
    }

    public final T withU32(int offset, int value) {
        byte[] b = bytes.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
        return wrap(b);
    }

    public final T withBytes(int offset, byte[] value) {
        byte[] b = bytes.clone();
        System.arraycopy(value, 0, b, offset, value.length);
        return wrap(b);
    }

    private ByteBuffer le() {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    static byte[] read(Pointer p, int size) {
        byte[] b = new byte[size];
        p.get(0, b, 0, size);
        return b;
    }

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && Arrays.equals(bytes, ((KvmStruct<?>) o).bytes);
    }

    @Override
    public final int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + HexFormat.of().formatHex(bytes, 0, Math.min(32, bytes.length))
                + (bytes.length > 32 ? "..." : "") + "]";
    }
}
