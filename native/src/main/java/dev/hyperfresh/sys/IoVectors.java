package dev.hyperfresh.sys;

import java.util.Arrays;
import jnr.ffi.Pointer;

/**
 * A {@code struct iovec} array for readv/writev, allocated once and refilled per call, so the packet path allocates
 * nothing.
 */
public final class IoVectors {
    /** UIO_MAXIOV: readv and writev refuse more with EINVAL. */
    private static final int MAX = 1024;
    private static final int IOVEC_BYTES = 16;
    private static final int IOV_LEN = 8;

    private final Pointer iovecs;
    /** Referenced natively through the iovecs only; held so memory Java owns cannot be freed before the call. */
    private final Pointer[] buffers;
    private int count;
    private long totalLength;

    public IoVectors(int capacity) {
        if (capacity < 1 || capacity > MAX) {
            throw new IllegalArgumentException("iovec capacity " + capacity + " is not 1-" + MAX);
        }
        this.iovecs = Sys.allocate(capacity * IOVEC_BYTES);
        this.buffers = new Pointer[capacity];
    }

    public void clear() {
        Arrays.fill(buffers, 0, count, null);
        count = 0;
        totalLength = 0;
    }

    /** Appends the {@code length} bytes at {@code p}; throws {@link IllegalStateException} when the array is full. */
    public IoVectors add(Pointer p, int length) {
        if (count == buffers.length) {
            throw new IllegalStateException("all " + buffers.length + " iovecs are in use");
        }
        if (!p.isDirect() || length < 0) {
            throw new IllegalArgumentException("an iovec needs native memory and a length >= 0, got " + p
                    + " and " + length);
        }
        iovecs.putLongLong((long) count * IOVEC_BYTES, p.address());
        iovecs.putLongLong((long) count * IOVEC_BYTES + IOV_LEN, length);
        buffers[count++] = p;
        totalLength += length;
        return this;
    }

    public int count() {
        return count;
    }

    public long totalLength() {
        return totalLength;
    }

    Pointer pointer() {
        return iovecs;
    }
}
