package dev.hyperfresh.qemu.replace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

/** The files a new QEMU takes over from the old one once the old is gone, or leaves behind on a rollback. */
final class StandbyFiles {
    private StandbyFiles() {
    }

    /**
     * Writes the new QEMU's pid to the old one's pid file, noting beside its QMP socket {@code qmpSocket} which pid file
     * it has for the next replacement ({@link #notedPidfile}). Before the old QEMU is killed: a forking systemd
     * service reads its pid file as its main process dies ({@link PidFileService}).
     */
    static void writePid(Optional<Path> pidfile, long standbyPid, Path qmpSocket) {
        pidfile.ifPresent(p -> {
            write(p, standbyPid + "\n");
            write(pidfileNote(qmpSocket), standbyPid + " " + p + "\n");
        });
    }

    /** Moves the new QEMU's sockets to the old one's paths (those not moved yet), once the old QEMU is killed. */
    static void takeOver(List<SocketMove> moves, Path migrationSocket) {
        for (SocketMove m : moves) {
            if (Files.exists(m.standbyPath())) {
                move(m.standbyPath(), m.path());
            }
        }
        discardMigrationSockets(migrationSocket);
    }

    /**
     * The pid file a replacement wrote for QEMU {@code pid} behind {@code qmpSocket}. A new QEMU cannot be started with
     * -pidfile (the old one holds its lock), so its command line no longer names the file: without this note the
     * next replacement would leave the file naming a dead pid. A note for another pid (a QEMU started anew at the
     * same socket) is not this one's.
     */
    static Optional<Path> notedPidfile(Path qmpSocket, long pid) {
        try {
            String[] note = Files.readString(pidfileNote(qmpSocket)).strip().split(" ", 2);
            return note.length == 2 && note[0].equals(Long.toString(pid)) ? Optional.of(Path.of(note[1]))
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();   // none noted
        }
    }

    private static Path pidfileNote(Path qmpSocket) {
        return qmpSocket.resolveSibling(qmpSocket.getFileName() + ".pidfile");
    }

    /** Removes what a new QEMU that never ran the VM listened on. */
    static void discard(List<SocketMove> moves, Optional<VncListener> vnc, Path migrationSocket) {
        for (SocketMove m : moves) {
            deleteIfExists(m.standbyPath());
        }
        vnc.ifPresent(v -> deleteIfExists(v.standbyPath()));
        discardMigrationSockets(migrationSocket);
    }

    /** The new QEMU's incoming socket and the hold's beside it: used once, by one migration. */
    private static void discardMigrationSockets(Path migrationSocket) {
        deleteIfExists(migrationSocket);
        deleteIfExists(StreamHold.pathFor(migrationSocket));
        try {
            MigrationPath.discardDirectory(migrationSocket);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the directory of " + migrationSocket + ": " + e.getMessage(),
                    e);
        }
    }

    private static void deleteIfExists(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the stale " + p + ": " + e.getMessage(), e);
        }
    }

    private static void move(Path from, Path to) {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("the new QEMU runs the VM, but moving its socket " + from + " to " + to
                    + " failed: " + e.getMessage(), e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("the new QEMU runs the VM, but writing its pid to " + file + " failed", e);
        }
    }
}
