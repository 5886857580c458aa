package dev.hyperfresh.vmm.control;

import dev.hyperfresh.sys.Sys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where control sockets may live: a directory only this user (or root) can add names to. Instance names are
 * predictable, and the old instance passes guest RAM to whatever listens on its standby's name, so a directory
 * another user can write to would let them bind that name first.
 */
final class SocketDirectory {
    private static final int GROUP_OR_OTHER_WRITE = 0022;
    private static final int STICKY = 01000;

    private SocketDirectory() {
    }

    static void check(Path dir) {
        check(dir, Sys.C.geteuid());
    }

    static void check(Path dir, int ownUid) {
        int owner;
        int mode;
        try {
            owner = (Integer) Files.getAttribute(dir, "unix:uid");
            mode = (Integer) Files.getAttribute(dir, "unix:mode");
        } catch (IOException e) {
            throw new UncheckedIOException("checking the socket directory " + dir, e);
        }
        if (owner != ownUid && owner != 0) {
            throw new IllegalStateException("the socket directory " + dir + " belongs to uid " + owner
                    + ", not to this user (uid " + ownUid + ") or root: another user could bind instance names there");
        }
        if ((mode & GROUP_OR_OTHER_WRITE) != 0) {
            throw new IllegalStateException(String.format("the socket directory %s is writable by others (mode %04o%s):"
                    + " another user could bind instance names there; use a directory of your own, mode 0700", dir,
                    mode & 07777, (mode & STICKY) != 0 ? ", sticky" : ""));
        }
    }
}
