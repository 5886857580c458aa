package dev.hyperfresh.sys;

import jnr.ffi.Pointer;

/** An mmap'ed range of memory, unmapped on close. */
public final class Mapping implements AutoCloseable {
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int MAP_NORESERVE = 0x4000;
    static final int MADV_POPULATE_WRITE = 23;

    /** 16 MiB: about a millisecond to unmap when populated (this PVM host). */
    private static final long UNMAP_PIECE = 16L << 20;
    private final long address;
    private final long size;
    private final Pointer pointer;
    private volatile boolean closed;

    private Mapping(long address, long size) {
        this.address = address;
        this.size = size;
        this.pointer = Sys.pointer(address, size);
    }

    /** Maps {@code size} bytes of {@code fd} shared and read-write: writes are visible to every other mapper. */
    public static Mapping shared(Fd fd, long size) {
        return map(size, MAP_SHARED | MAP_NORESERVE, fd.get(), "mmap(" + fd.what() + ")");
    }

    /** Maps a shared, read-write view of {@code size} bytes of a device fd such as a vCPU's kvm_run page. */
    public static Mapping sharedDevice(Fd fd, long size) {
        return map(size, MAP_SHARED, fd.get(), "mmap(" + fd.what() + ")");
    }

    private static Mapping map(long size, int flags, int fd, String call) {
        if (size <= 0) {
            throw new IllegalArgumentException(call + ": size must be positive, got " + size);
        }
        Pointer p = Sys.C.mmap(null, size, PROT_READ | PROT_WRITE, flags, fd, 0);
        if (p == null || p.address() == -1) {
            throw new SysException(call, Sys.errno(), size + " bytes");
        }
        return new Mapping(p.address(), size);
    }

    /**
     * Faults the pages of the page-aligned range [offset, offset + length) in writable now, so the first guest access
     * later costs no host page fault (of a shared file: allocating those of its pages that did not exist).
     */
    public void populateWrite(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " is outside the mapping of " + size);
        }
        Sys.check(Sys.C.madvise(address() + offset, length, MADV_POPULATE_WRITE), "madvise(MADV_POPULATE_WRITE)");
    }

    public long address() {
        if (closed) {
            throw new IllegalStateException("mapping is unmapped");
        }
        return address;
    }

    public long size() {
        return size;
    }

    public Pointer pointer() {
        address();
        return pointer;
    }

    /**
     * Unmapped a piece at a time: on a PREEMPT_NONE kernel one munmap(2) of a populated 512 MiB guest mapping kept a
     * CPU 15-26 ms, in the old instance right after a cutover, from the guest then running in the new one
     * (docs/BENCHMARKS.md); between pieces the scheduler may switch. Pages larger than a piece (1 GiB huge pages)
     * refuse a piece: the rest then goes at once.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            long at = 0;
            while (at < size && Sys.C.munmap(address + at, Math.min(UNMAP_PIECE, size - at)) == 0) {
                at += UNMAP_PIECE;
            }
            if (at < size) {
                Sys.check(Sys.C.munmap(address + at, size - at), "munmap");
            }
        }
    }
}
