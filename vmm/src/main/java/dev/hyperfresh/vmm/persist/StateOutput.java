package dev.hyperfresh.vmm.persist;

import dev.hyperfresh.sys.Sys;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import jnr.ffi.Pointer;

/**
 * Big-endian writes, the counterpart of {@link StateInput}: into an array that grows, or straight into a fixed
 * region such as the handover ledger's mapping. Encoding runs inside the cutover's blackout, so there is one
 * buffer and no per-field call through a stream: a section's length is written after its body, in place.
 */
final class StateOutput {
    private ByteBuffer buffer;
    private final boolean fixed;

    StateOutput() {
        this(4096);
    }

    /** {@code capacity}: what the whole output is expected to need, so that it is never copied to grow. */
    StateOutput(int capacity) {
        this(ByteBuffer.allocate(capacity), false);
    }

    private StateOutput(ByteBuffer buffer, boolean fixed) {
        this.buffer = buffer;
        this.fixed = fixed;
    }

    /**
     * Writes into {@code region} from its position to its limit, never beyond: a state that does not fit fails
     * with {@link BufferOverflowException}. Offsets count from the region's position.
     */
    static StateOutput into(ByteBuffer region) {
        return new StateOutput(region.slice(), true);
    }

    StateOutput u16(int v) {
        if (v >>> 16 != 0) {
            throw new IllegalArgumentException(v + " does not fit in 16 bits");
        }
        room(2).putShort((short) v);
        return this;
    }

    StateOutput u32(int v) {
        room(4).putInt(v);
        return this;
    }

    StateOutput u64(long v) {
        room(8).putLong(v);
        return this;
    }

    StateOutput bytes(byte[] b) {
        room(b.length).put(b);
        return this;
    }

    StateOutput blob(byte[] b) {
        return u32(b.length).bytes(b);
    }

    /**
     * A blob of {@code size} bytes left for someone else to fill (an ioctl, through {@link #memory()}); returns its
     * offset.
     */
    int blobSpace(int size) {
        u32(size);
        int at = buffer.position();
        room(size).position(at + size);
        return at;
    }

    /** The native memory a fixed output writes to, from offset 0: {@link #blobSpace} offsets index it. */
    Pointer memory() {
        return Sys.pointer(buffer);
    }

    /**
     * Starts a section: a tag, the body's length, the body (readers skip tags they do not know by that length).
     * Returns where the body starts, for {@link #endSection}.
     */
    int beginSection(int tag) {
        u32(tag).u32(0);
        return buffer.position();
    }

    StateOutput endSection(int bodyStart) {
        buffer.putInt(bodyStart - 4, buffer.position() - bodyStart);
        return this;
    }

    int size() {
        return buffer.position();
    }

    /** CRC-32 of everything written so far. */
    int crc() {
        CRC32 crc = new CRC32();
        crc.update(buffer.slice(0, buffer.position()));
        return (int) crc.getValue();
    }

    byte[] toByteArray() {
        byte[] out = new byte[buffer.position()];
        buffer.get(0, out);
        return out;
    }

    private ByteBuffer room(int n) {
        if (buffer.remaining() < n) {
            if (fixed) {
                throw new BufferOverflowException();
            }
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + n));
            bigger.put(buffer.flip());
            buffer = bigger;
        }
        return buffer;
    }
}
