package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.sys.ProcStatus;
import dev.hyperfresh.sys.Sys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalLong;

/**
 * Where a replacement's migration sockets live — the new QEMU's incoming socket and the hold's beside it
 * ({@link StreamHold#pathFor}), each used once. Beside the QMP socket, or, for a QEMU that runs as another user than
 * this console ({@code -runas}) or in a directory of its own as its root ({@code -chroot}), in a directory of that
 * user's in the temporary directory or in that root: the new QEMU binds its incoming socket once it has dropped its
 * privileges and changed its root, and the old one connects to the hold as that user, from that root — neither can
 * reach into a root-only directory nor write to a root-owned socket, nor see a file outside its root. The QEMUs are
 * given the paths as they see them ({@link #uri}).
 */
final class MigrationPath {
    private static final String PRIVATE = ".migrate.d";
    private static final Path SLASH = Path.of("/");

    private MigrationPath() {
    }

    /** The new QEMU's incoming socket for replacing QEMU {@code pid}, whose QMP socket is {@code qmpSocket}. */
    static Path of(Path qmpSocket, long pid) {
        String name = qmpSocket.getFileName() + ".migrate";
        OptionalLong uid = id(pid, "Uid");
        Path root = rootOf(pid);
        if (root.equals(SLASH) && (uid.isEmpty() || uid.getAsLong() == Sys.C.geteuid())) {
            return qmpSocket.resolveSibling(name);
        }
        return (root.equals(SLASH) ? Path.of(System.getProperty("java.io.tmpdir")) : root)
                .resolve("hyperfresh-" + pid + "-" + qmpSocket.getFileName() + PRIVATE).resolve(name);
    }

    /** {@code socket}'s migration URI as QEMU {@code pid} (and its new QEMU, started alike) sees it from its root. */
    static String uri(Path socket, long pid) {
        Path root = rootOf(pid);
        return "unix:" + (root.equals(SLASH) ? socket : SLASH.resolve(root.relativize(socket)));
    }

    /** The directory QEMU {@code pid} has as its root: "/" unless {@code -chroot}; "/" once it is gone. */
    private static Path rootOf(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "root"));
        } catch (IOException | UnsupportedOperationException gone) {
            return SLASH;
        }
    }

    /** Makes the directory of {@code migrationSocket} where it is QEMU {@code pid}'s user's, for that user alone. */
    static void prepare(Path migrationSocket, long pid) {
        if (!isPrivate(migrationSocket)) {
            return;
        }
        Path dir = migrationSocket.getParent();
        OptionalLong uid = id(pid, "Uid");
        OptionalLong gid = id(pid, "Gid");
        try {
            if (uid.isEmpty() || gid.isEmpty()) {
                throw new IOException("QEMU pid " + pid + " is gone");
            }
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                    "rwx------")));
            Files.setAttribute(dir, "unix:gid", (int) gid.getAsLong());
            Files.setAttribute(dir, "unix:uid", (int) uid.getAsLong());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make " + dir + ", where QEMU pid " + pid + " (running as uid "
                    + uid.orElse(-1) + ") and its new QEMU are to meet for the migration: " + e.getMessage(), e);
        }
    }

    /**
     * Lets the QEMU's user connect to {@code socket}, one of the console's in a directory of that user's (the
     * directory keeps everyone else out); beside the QMP socket it stays the console's.
     */
    static void openToQemu(Path socket) throws IOException {
        if (isPrivate(socket)) {
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        }
    }

    /** Removes the directory of {@code migrationSocket} where it is a QEMU user's, made for one replacement. */
    static void discardDirectory(Path migrationSocket) throws IOException {
        if (isPrivate(migrationSocket)) {
            Files.deleteIfExists(migrationSocket.getParent());
        }
    }

    private static boolean isPrivate(Path socket) {
        return socket.getParent() != null && socket.getParent().getFileName().toString().endsWith(PRIVATE);
    }

    private static OptionalLong id(long pid, String field) {
        try {
            return ProcStatus.number(Long.toString(pid), field);
        } catch (IOException gone) {
            return OptionalLong.empty();
        }
    }
}
