package dev.hyperfresh.qemu.replace;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The open files of a running QEMU that its command line names by what they are rather than by number, and that a
 * second QEMU cannot open again while the first holds them: the tap devices it is attached to (by interface name;
 * a tap serves one process's queue at a time) and the sockets it listens on TCP ports with. Read from
 * /proc, which needs the QEMU's user or root; without that access it has none, and such a QEMU's new instance
 * fails to open them and rolls back, as before.
 */
final class OpenFiles {
    private static final String TUN = "/dev/net/tun";
    private static final String TCP_LISTEN = "0A";

    /** A listening TCP socket of the QEMU's, by descriptor. */
    record Listener(int fd, boolean ipv6) {
    }

    private final Map<String, List<Integer>> taps;
    private final Map<Integer, List<Listener>> tcpListeners;

    /**
     * @param taps         interface name → the descriptors attached to it (several for a multi-queue tap)
     * @param tcpListeners port → the listening sockets bound to it
     */
    OpenFiles(Map<String, List<Integer>> taps, Map<Integer, List<Listener>> tcpListeners) {
        this.taps = Map.copyOf(taps);
        this.tcpListeners = Map.copyOf(tcpListeners);
    }

    static OpenFiles none() {
        return new OpenFiles(Map.of(), Map.of());
    }

    static OpenFiles ofProcess(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        Map<String, List<Integer>> taps = new HashMap<>();
        Map<String, Integer> sockets = new HashMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Map.Entry<Integer, Path> numbered : byNumber(entries).entrySet()) {
                int fd = numbered.getKey();
                String target = readLink(numbered.getValue());
                if (target.equals(TUN)) {
                    tapName(proc.resolve("fdinfo").resolve(Integer.toString(fd)))
                            .ifPresent(name -> taps.computeIfAbsent(name, n -> new ArrayList<>()).add(fd));
                } else if (target.startsWith("socket:[")) {
                    sockets.put(target.substring(8, target.length() - 1), fd);
                }
            }
            Map<Integer, List<Listener>> listeners = new HashMap<>();
            listening(proc.resolve("net").resolve("tcp"), false, sockets, listeners);
            listening(proc.resolve("net").resolve("tcp6"), true, sockets, listeners);
            return new OpenFiles(taps, listeners);
        } catch (IOException | UnsupportedOperationException e) {
            return none();
        }
    }

    /** The taps it is attached to, by interface name. */
    Set<String> tapNames() {
        return taps.keySet();
    }

    /** The descriptors attached to tap {@code ifname}, in the order QEMU opened its queues; empty if none. */
    List<Integer> taps(String ifname) {
        return taps.getOrDefault(ifname, List.of());
    }

    /** The sockets listening on TCP {@code port} (QEMU binds one per address it resolved). */
    List<Listener> tcpListeners(int port) {
        return tcpListeners.getOrDefault(port, List.of());
    }

    /** The fd directory's entries in the order of their numbers (a multi-queue tap's queues in QEMU's order). */
    private static Map<Integer, Path> byNumber(DirectoryStream<Path> entries) {
        Map<Integer, Path> byNumber = new TreeMap<>();
        entries.forEach(e -> byNumber.put(Integer.parseInt(e.getFileName().toString()), e));
        return byNumber;
    }

    private static String readLink(Path entry) throws IOException {
        try {
            return Files.readSymbolicLink(entry).toString();
        } catch (NoSuchFileException closedMeanwhile) {
            return "";
        }
    }

    /** A tun descriptor's interface, which its fdinfo names ("iff:\tNAME") once attached. */
    private static Optional<String> tapName(Path fdinfo) throws IOException {
        try {
            return Files.readAllLines(fdinfo, StandardCharsets.UTF_8).stream().filter(l -> l.startsWith("iff:"))
                    .map(l -> l.substring(4).strip()).findFirst();
        } catch (NoSuchFileException closedMeanwhile) {
            return Optional.empty();
        }
    }

    /** Adds the process's listening sockets in {@code table} (/proc/PID/net/tcp: its own network namespace's). */
    private static void listening(Path table, boolean ipv6, Map<String, Integer> sockets,
                                  Map<Integer, List<Listener>> listeners) throws IOException {
        if (!Files.exists(table)) {
            return;   // no IPv6
        }
        for (String line : Files.readAllLines(table, StandardCharsets.US_ASCII)) {
            String[] f = line.strip().split("\\s+");
            if (f.length < 10 || !f[3].equals(TCP_LISTEN) || !sockets.containsKey(f[9])) {
                continue;
            }
            int port = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16);
            listeners.computeIfAbsent(port, p -> new ArrayList<>()).add(new Listener(sockets.get(f[9]), ipv6));
        }
    }
}
