package dev.hyperfresh.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A listening AF_UNIX stream socket bound to a filesystem path, created by {@link UnixSocket#listen(Path)}.
 *
 * <p>The socket file is created with mode 0600 (owner read/write, further narrowed by the umask): Linux gives the
 * new file the socket inode's mode minus the umask, and that mode is set with fchmod <em>before</em> bind, so the
 * file never exists with wider permissions, unlike a chmod after bind. Closing removes the file again, unless
 * another socket has since taken its name (a successor process renaming its own socket over it).
 */
public final class UnixServer implements AutoCloseable {
    private static final int OWNER_READ_WRITE = 0600;
    private static final int BACKLOG = 16;
    private static final int SHUT_RDWR = 2;

    private volatile Path path;
    private final Fd fd;
    private final Object inode;

    UnixServer(Path path) {
        UnixAddress address = UnixAddress.of(path);
        this.path = path;
        this.fd = UnixSocket.open("unix socket listening on " + path);
        try {
            Sys.check(Sys.C.fchmod(fd.get(), OWNER_READ_WRITE), "fchmod(" + fd.what() + ", 0600)");
            Sys.check(Sys.C.bind(fd.get(), address.pointer(), address.length()), "bind(" + path + ")");
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
        this.inode = inode(path);
        if (Sys.C.listen(fd.get(), BACKLOG) < 0) {
            SysException e = new SysException("listen(" + path + ")", Sys.errno());
            close();
            throw e;
        }
    }

    /** Waits for the next connection. */
    public UnixSocket accept() {
        while (true) {
            int r = Sys.C.accept4(fd.get(), null, null, UnixSocket.SOCK_CLOEXEC);
            if (r >= 0) {
                return new UnixSocket(new Fd(r, "unix socket accepted on " + path));
            }
            int errno = Sys.errno();
            if (errno != Sys.EINTR) {
                throw new SysException("accept4(" + path + ")", errno);
            }
        }
    }

    public Path path() {
        return path;
    }

    /** Whether the file at {@link #path()} is still this socket's (no other socket has been renamed over it). */
    public boolean ownsPath() {
        return inode != null && inode.equals(inode(path));
    }

    /** Renames the socket file to {@code target}, atomically replacing whatever is there; clients keep connecting. */
    public void moveTo(Path target) {
        try {
            Files.move(path, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("renaming unix socket " + path + " to " + target, e);
        }
        path = target;
    }

    private static Object inode(Path p) {
        try {
            return Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * Stops listening — a thread blocked in {@link #accept} returns with EINVAL (closing the descriptor alone would
     * not wake it) — and deletes the socket file this server created if it is still its own; idempotent.
     */
    @Override
    public void close() {
        if (!fd.isOpen()) {
            return;
        }
        try {
            Sys.C.shutdown(fd.get(), SHUT_RDWR);
            if (ownsPath()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("deleting unix socket file " + path, e);
        } finally {
            fd.close();
        }
    }
}
