package dev.hyperfresh.vmm.persist;

import java.util.Arrays;

/**
 * Big-endian reads from saved-state bytes that check every length against what is left before allocating, so
 * truncated or corrupt input fails with a message naming the field and offset instead of an index error or a
 * huge allocation.
 */
final class StateInput {
    private final byte[] bytes;
    private final int end;
    private int pos;

    StateInput(byte[] bytes) {
        this(bytes, 0, bytes.length);
    }

    private StateInput(byte[] bytes, int start, int end) {
        this.bytes = bytes;
        this.pos = start;
        this.end = end;
    }

    int position() {
        return pos;
    }

    int remaining() {
        return end - pos;
    }

    int u16(String what) {
        need(2, what);
        int v = (bytes[pos] & 0xff) << 8 | bytes[pos + 1] & 0xff;
        pos += 2;
        return v;
    }

    int u32(String what) {
        need(4, what);
        int v = (bytes[pos] & 0xff) << 24 | (bytes[pos + 1] & 0xff) << 16 | (bytes[pos + 2] & 0xff) << 8
                | bytes[pos + 3] & 0xff;
        pos += 4;
        return v;
    }

    long u64(String what) {
        return (long) u32(what) << 32 | u32(what) & 0xffffffffL;
    }

    byte[] bytes(long count, String what) {
        need(count, what);
        byte[] b = Arrays.copyOfRange(bytes, pos, pos + (int) count);
        pos += (int) count;
        return b;
    }

    /** A u32 length, then that many bytes. */
    byte[] blob(String what) {
        return bytes(u32(what) & 0xffffffffL, what);
    }

    /** The next {@code count} bytes as their own input, e.g. a section body; this input moves past them. */
    StateInput slice(long count, String what) {
        need(count, what);
        StateInput s = new StateInput(bytes, pos, pos + (int) count);
        pos += (int) count;
        return s;
    }

    /** Fails unless every byte was read: leftover bytes in a fixed-layout record mean corruption. */
    void expectEnd(String what) {
        if (pos != end) {
            throw new StateFormatException(what + " has " + (end - pos) + " unexpected trailing byte(s) at offset "
                    + pos);
        }
    }

    private void need(long count, String what) {
        if (count > end - pos) {
            throw new StateFormatException("saved state is truncated: " + what + " needs " + count
                    + " byte(s) at offset " + pos + ", only " + (end - pos) + " remain");
        }
    }
}
