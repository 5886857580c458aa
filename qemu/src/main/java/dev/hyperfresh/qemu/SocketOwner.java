package dev.hyperfresh.qemu;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which process listens on a unix socket path, found in /proc without connecting (a QMP socket serves one client
 * at a time, so a probe connection would queue behind the real one): /proc/net/unix maps the listening socket's
 * path to its inode, and the process holding {@code socket:[inode]} among its descriptors is the owner.
 */
public final class SocketOwner {
    private static final int SO_ACCEPTCON = 0x10000;

    private SocketOwner() {
    }

    public static Optional<Long> pidListeningOn(Path socket) {
        Map<Long, String> listeners = listeningInodes();
        if (listeners.isEmpty()) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                for (long inode : socketInodes(proc)) {
                    String bound = listeners.get(inode);
                    if (bound != null && sameFile(proc.resolve("cwd"), bound, socket)) {
                        return Optional.of(Long.parseLong(proc.getFileName().toString()));
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
        }
        return Optional.empty();
    }

    /** inode → bound path of every listening unix socket with a path name. */
    private static Map<Long, String> listeningInodes() {
        Map<Long, String> inodes = new HashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/net/unix"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/net/unix: " + e.getMessage(), e);
        }
        // Num RefCount Protocol Flags Type St Inode Path
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.trim().split("\\s+", 8);
            if (f.length == 8 && (Integer.parseInt(f[3], 16) & SO_ACCEPTCON) != 0 && !f[7].startsWith("@")) {
                inodes.put(Long.parseLong(f[6]), f[7]);
            }
        }
        return inodes;
    }

    private static List<Long> socketInodes(Path proc) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            List<Long> inodes = new ArrayList<>();
            for (Path fd : fds) {
                String target = readLink(fd);
                if (target.startsWith("socket:[")) {
                    inodes.add(Long.parseLong(target.substring(8, target.length() - 1)));
                }
            }
            return inodes;
        } catch (IOException | RuntimeException e) {
            return List.of(); // another user's process, or gone: cannot be the QEMU we may drive
        }
    }

    private static boolean sameFile(Path cwd, String bound, Path socket) {
        try {
            Path path = Path.of(bound);
            return Files.isSameFile(path.isAbsolute() ? path : cwd.toRealPath().resolve(path), socket);
        } catch (IOException e) {
            return false;
        }
    }

    private static String readLink(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "";
        }
    }
}
