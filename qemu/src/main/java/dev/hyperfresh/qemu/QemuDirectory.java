package dev.hyperfresh.qemu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Where hyperfresh looks for QEMUs: QMP sockets named {@code *.qmp} in the directory it is given, the socket
 * directory hfvisor puts its control sockets in (the engine's). Start QEMU with
 * {@code -qmp unix:<dir>/<name>.qmp,server=on,wait=off} to have it listed.
 */
public final class QemuDirectory {
    public static final String SUFFIX = ".qmp";

    private QemuDirectory() {
    }

    /** The QMP sockets in {@code dir}, sorted by name; none if the directory does not exist. */
    public static List<Path> sockets(Path dir) {
        List<Path> sockets = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return sockets;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            entries.forEach(sockets::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        sockets.sort(null);
        return sockets;
    }

    /** One line of a listing: the instance's info, or why it could not be asked. */
    public record Entry(Path qmpSocket, QemuInfo info, String problem) {
    }

    /** Attaches to every socket in {@code dir} in turn and asks for its info; a silent one costs {@code timeout}. */
    public static List<Entry> survey(Path dir, Duration timeout) {
        List<Entry> entries = new ArrayList<>();
        for (Path socket : sockets(dir)) {
            entries.add(entry(socket, timeout));
        }
        return entries;
    }

    /** The QEMU on {@code socket}, wherever it lies: its info, or why it could not be asked. */
    public static Entry entry(Path socket, Duration timeout) {
        try (QemuInstance qemu = QemuInstance.attach(socket, timeout)) {
            return new Entry(socket, qemu.info(), null);
        } catch (RuntimeException e) {
            return new Entry(socket, null, e.getMessage() != null ? e.getMessage() : e.toString());
        }
    }
}
