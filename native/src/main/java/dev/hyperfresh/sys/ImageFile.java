package dev.hyperfresh.sys;

import java.nio.file.Path;
import jnr.ffi.Pointer;

/**
 * A raw disk image a VM's block device reads and writes, held under an exclusive {@code flock}: the lock belongs
 * to the open file, so it travels with the descriptor when a handover passes it to a standby, and no other
 * process that asks for it (a second hypervisor started on the same image by mistake) gets the image meanwhile.
 */
public final class ImageFile implements AutoCloseable {
    public static final int SECTOR = 512;
    private static final int O_RDONLY = 0, O_RDWR = 02, O_CLOEXEC = 02000000;
    private static final int LOCK_EX = 2, LOCK_SH = 1, LOCK_NB = 4, EWOULDBLOCK = 11;
    private final Fd fd;
    private final long size;

    private ImageFile(Fd fd) {
        this.fd = fd;
        this.size = Memfd.size(fd);
    }

    /**
     * Opens {@code path} (read-only: a shared lock, so several read-only users may share it) and locks it; refuses
     * an image another process holds, and one whose size is not whole sectors.
     */
    public static ImageFile open(Path path, boolean readOnly) {
        Fd fd = new Fd(Sys.check(Sys.C.open(path.toString(), (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC),
                "open(" + path + ")"), "disk image " + path);
        try {
            if (Sys.C.flock(fd.get(), (readOnly ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
                int errno = Sys.errno();
                throw errno == EWOULDBLOCK
                        ? new IllegalStateException("disk image " + path + " is in use by another process (locked)")
                        : new SysException("flock(" + path + ")", errno);
            }
            ImageFile image = new ImageFile(fd);
            if (image.size == 0 || image.size % SECTOR != 0) {
                throw new IllegalArgumentException("disk image " + path + " must be a non-empty multiple of "
                        + SECTOR + " bytes, is " + image.size);
            }
            return image;
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** An image another instance opened and locked, its descriptor received over a socket. */
    public static ImageFile adopt(Fd fd) {
        return new ImageFile(fd);
    }

    public Fd fd() {
        return fd;
    }

    public long size() {
        return size;
    }

    /** Reads {@code length} bytes at {@code offset} into {@code to}; false if the image ends first. */
    public boolean read(Pointer to, long length, long offset) {
        long done = 0;
        while (done < length) {
            long n = Sys.check(Sys.C.pread(fd.get(), to.slice(done), length - done, offset + done),
                    "pread(" + fd.what() + ")");
            if (n == 0) {
                return false;
            }
            done += n;
        }
        return true;
    }

    public void write(Pointer from, long length, long offset) {
        long done = 0;
        while (done < length) {
            done += Sys.check(Sys.C.pwrite(fd.get(), from.slice(done), length - done, offset + done),
                    "pwrite(" + fd.what() + ")");
        }
    }

    /** What the guest wrote reaches the disk below (a flush request). */
    public void flush() {
        Sys.check(Sys.C.fdatasync(fd.get()), "fdatasync(" + fd.what() + ")");
    }

    @Override
    public void close() {
        fd.close();
    }
}
