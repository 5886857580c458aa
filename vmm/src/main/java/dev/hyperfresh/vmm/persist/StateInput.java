package dev.hyperfresh.vmm.persist;

import dev.hyperfresh.sys.Sys;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import jnr.ffi.Pointer;

/**
 * Big-endian reads from saved-state bytes — an array, or the handover ledger's mapping read in place — that check
 * every length against what is left before allocating, so truncated or corrupt input fails with a message naming
 * the field and offset instead of an index error or a huge allocation. Offsets count from the buffer's start.
 */
final class StateInput {
    private final ByteBuffer bytes;
    private final int end;
    private int pos;

    /** Reads {@code bytes} from its position to its limit; the buffer itself is not moved. */
    StateInput(ByteBuffer bytes) {
        this(bytes.slice(), 0, bytes.remaining());
    }

    private StateInput(ByteBuffer bytes, int start, int end) {
        this.bytes = bytes;
        this.pos = start;
        this.end = end;
    }

    int position() {
        return pos;
    }

    /** Moves back to {@code position}, to read again what was read from there. */
    void reset(int position) {
        pos = position;
    }

    int remaining() {
        return end - pos;
    }

    int u16(String what) {
        need(2, what);
        int v = bytes.getShort(pos) & 0xffff;
        pos += 2;
        return v;
    }

    int u32(String what) {
        need(4, what);
        int v = bytes.getInt(pos);
        pos += 4;
        return v;
    }

    long u64(String what) {
        return (long) u32(what) << 32 | u32(what) & 0xffffffffL;
    }

    byte[] bytes(long count, String what) {
        need(count, what);
        byte[] b = new byte[(int) count];
        bytes.get(pos, b);
        pos += (int) count;
        return b;
    }

    /**
     * A u32 length that must be {@code size}, then a kernel struct of that size left where it lies; returns its
     * offset in {@link #memory()}.
     */
    int struct(String what, int size) {
        int length = u32(what);
        if (length != size) {
            throw new StateFormatException(what + " is " + Integer.toUnsignedString(length)
                    + " bytes; the kernel struct is " + size);
        }
        need(size, what);
        int at = pos;
        pos += size;
        return at;
    }

    /** The native memory of a direct input from offset 0, for ioctls to read {@link #struct}s in place. */
    Pointer memory() {
        return Sys.pointer(bytes);
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

    /** Moves past the next {@code count} bytes; true if they are {@code expected} (null: never). */
    boolean skipComparing(int count, byte[] expected, String what) {
        need(count, what);
        boolean same = expected != null && expected.length == count
                && bytes.slice(pos, count).mismatch(ByteBuffer.wrap(expected)) < 0;
        pos += count;
        return same;
    }

    /** CRC-32 of this input's first {@code length} bytes. */
    int crc(int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes.slice(0, length));
        return (int) crc.getValue();
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
