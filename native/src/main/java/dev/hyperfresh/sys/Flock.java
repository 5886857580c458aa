package dev.hyperfresh.sys;

import java.nio.file.Path;
import java.util.Optional;

/**
 * BSD {@code flock} locks. Such a lock belongs to the open file, not to a process: every descriptor of that open
 * file (a dup, or one passed to another process over SCM_RIGHTS) holds it, and it is released when the last one
 * closes — at the latest when its holders exit. So a lock can be handed to another process and outlive its first
 * holder, which java.nio's (fcntl) locks cannot.
 */
public final class Flock {
    private static final int O_RDWR = 02;
    private static final int O_CREAT = 0100;
    private static final int O_CLOEXEC = 02000000;
    private static final int LOCK_EX = 2;
    private static final int LOCK_NB = 4;
    private static final int EWOULDBLOCK = 11;

    private Flock() {
    }

    /** Opens (creating it 0600) {@code file} and takes its exclusive lock; empty if another open file holds it. */
    public static Optional<Fd> tryExclusive(Path file) {
        Fd fd = new Fd(Sys.check(Sys.C.open(file.toString(), O_RDWR | O_CREAT | O_CLOEXEC, 0600),
                "open(" + file + ")"), "lock file " + file);
        if (Sys.C.flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
            return Optional.of(fd);
        }
        int errno = Sys.errno();
        fd.close();
        if (errno == EWOULDBLOCK) {
            return Optional.empty();
        }
        throw new SysException("flock(" + file + ", LOCK_EX|LOCK_NB)", errno);
    }
}
