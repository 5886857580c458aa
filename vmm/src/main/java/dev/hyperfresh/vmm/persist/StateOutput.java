package dev.hyperfresh.vmm.persist;

import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * Big-endian writes into one growing array, the counterpart of {@link StateInput}. Encoding runs inside the
 * cutover's blackout, so there is one buffer and no per-field call through a stream: a section's length is
 * written after its body, in place.
 */
final class StateOutput {
    private byte[] buffer;
    private int size;

    StateOutput() {
        this(4096);
    }

    /** {@code capacity}: what the whole output is expected to need, so that it is never copied to grow. */
    StateOutput(int capacity) {
        buffer = new byte[capacity];
    }

    StateOutput u16(int v) {
        if (v >>> 16 != 0) {
            throw new IllegalArgumentException(v + " does not fit in 16 bits");
        }
        room(2);
        buffer[size++] = (byte) (v >>> 8);
        buffer[size++] = (byte) v;
        return this;
    }

    StateOutput u32(int v) {
        room(4);
        putInt(size, v);
        size += 4;
        return this;
    }

    StateOutput u64(long v) {
        return u32((int) (v >>> 32)).u32((int) v);
    }

    StateOutput bytes(byte[] b) {
        room(b.length);
        System.arraycopy(b, 0, buffer, size, b.length);
        size += b.length;
        return this;
    }

    StateOutput blob(byte[] b) {
        return u32(b.length).bytes(b);
    }

    /**
     * Starts a section: a tag, the body's length, the body (readers skip tags they do not know by that length).
     * Returns where the body starts, for {@link #endSection}.
     */
    int beginSection(int tag) {
        u32(tag).u32(0);
        return size;
    }

    StateOutput endSection(int bodyStart) {
        putInt(bodyStart - 4, size - bodyStart);
        return this;
    }

    int size() {
        return size;
    }

    /** CRC-32 of everything written so far. */
    int crc() {
        CRC32 crc = new CRC32();
        crc.update(buffer, 0, size);
        return (int) crc.getValue();
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buffer, size);
    }

    private void putInt(int at, int v) {
        buffer[at] = (byte) (v >>> 24);
        buffer[at + 1] = (byte) (v >>> 16);
        buffer[at + 2] = (byte) (v >>> 8);
        buffer[at + 3] = (byte) v;
    }

    private void room(int n) {
        if (buffer.length - size < n) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + n));
        }
    }
}
