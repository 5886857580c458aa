package dev.hyperfresh.sys;

import jnr.ffi.Pointer;

/** Anonymous memory with a file descriptor: guest RAM lives here so another process can map the same pages. */
public final class Memfd {
    static final int MFD_CLOEXEC = 1;
    static final int MFD_HUGETLB = 4;
    private static final int STAT_SIZE = 144;
    private static final int STAT_ST_SIZE_OFFSET = 48;

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
        Pointer st = Sys.allocate(STAT_SIZE);
        Sys.check(Sys.C.fstat(fd.get(), st), "fstat(" + fd.what() + ")");
        return st.getLong(STAT_ST_SIZE_OFFSET);
    }
}
