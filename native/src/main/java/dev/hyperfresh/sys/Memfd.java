package dev.hyperfresh.sys;

import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Pointer;

/** Anonymous memory with a file descriptor: guest RAM lives here so another process can map the same pages. */
public final class Memfd {
    static final int MFD_CLOEXEC = 1;
    static final int MFD_HUGETLB = 4;
    private static final int STAT_SIZE = 144;
    private static final int STAT_ST_SIZE_OFFSET = 48;
    private static final int STAT_ST_BLOCKS_OFFSET = 64;
    private static final int STAT_BLOCK = 512;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int ENXIO = 6;

    private Memfd() {
    }

    /**
     * Creates a memfd of {@code size} bytes; with {@code hugetlb} the size must be a multiple of 2 MiB, and its huge
     * pages are taken now: where the host has too few, that is an error here, not a SIGBUS at the first touch.
     */
    public static Fd create(String name, long size, boolean hugetlb) {
        int fd = Sys.check(Sys.C.memfd_create(name, MFD_CLOEXEC | (hugetlb ? MFD_HUGETLB : 0)),
                "memfd_create(" + name + ")");
        Fd owned = new Fd(fd, "memfd " + name);
        if (Sys.C.ftruncate(fd, size) < 0) {
            SysException e = new SysException("ftruncate(" + name + ")", Sys.errno(), size + " bytes");
            owned.close();
            throw e;
        }
        if (hugetlb && Sys.C.fallocate(fd, 0, 0, size) < 0) {
            SysException e = new SysException("fallocate(" + name + ")", Sys.errno(), "the host has fewer than "
                    + (size >> 21) + " free 2 MiB huge pages (HugePages_Free in /proc/meminfo; the pool is "
                    + "/proc/sys/vm/nr_hugepages)");
            owned.close();
            throw e;
        }
        return owned;
    }

    /** The current size of a file (e.g. a memfd received from another process). */
    public static long size(Fd fd) {
        return stat(fd).getLong(STAT_ST_SIZE_OFFSET);
    }

    /** The bytes a file's pages take (st_blocks): of a memfd, what something has touched. */
    public static long allocatedBytes(Fd fd) {
        return stat(fd).getLong(STAT_ST_BLOCKS_OFFSET) * STAT_BLOCK;
    }

    private static Pointer stat(Fd fd) {
        Pointer st = Sys.allocate(STAT_SIZE);
        Sys.check(Sys.C.fstat(fd.get(), st), "fstat(" + fd.what() + ")");
        return st;
    }

    /** {@code length} bytes of a file from {@code offset}. */
    public record Extent(long offset, long length) {
        public long end() {
            return offset + length;
        }
    }

    /**
     * Where a file holds pages, in order (lseek SEEK_DATA / SEEK_HOLE): a memfd has them only where something
     * touched it. A file system that does not tell (hugetlbfs) reports the whole file.
     */
    public static List<Extent> dataExtents(Fd fd) {
        long size = size(fd);
        List<Extent> out = new ArrayList<>();
        for (long at = 0; at < size; ) {
            long data = Sys.C.lseek(fd.get(), at, SEEK_DATA);
            if (data < 0) {
                int errno = Sys.errno();
                if (errno == ENXIO) {
                    break;   // no data from here to the end
                }
                throw new SysException("lseek(" + fd.what() + ", SEEK_DATA)", errno, "at " + at);
            }
            long hole = Math.min(size, Sys.check(Sys.C.lseek(fd.get(), data, SEEK_HOLE),
                    "lseek(" + fd.what() + ", SEEK_HOLE)"));
            out.add(new Extent(data, hole - data));
            at = hole;
        }
        return out;
    }
}
