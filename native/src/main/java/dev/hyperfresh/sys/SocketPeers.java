package dev.hyperfresh.sys;

import dev.hyperfresh.sys.UnixSocket.PeerCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Who is connected to another process's unix socket: the peers of the connections it accepted, each as the kernel
 * recorded it at connect (SO_PEERCRED), read through a duplicate of the process's end taken with pidfd_getfd and
 * closed again, so the connection itself is untouched. Needs the process's user or root.
 */
public final class SocketPeers {
    private static final int LISTENING = 0x10000;
    private static final String CONNECTED = "03";
    private static final PeerCredentials UNKNOWN = new PeerCredentials(0, -1, -1);

    private SocketPeers() {
    }

    /**
     * The peers of the connections process {@code pid} accepted on the socket it bound as {@code socket} (the name
     * as bound: /proc/PID/net/unix shows a listener's address on each connection it accepted, and keeps it when the
     * file is renamed). A connection whose peer cannot be read (no access, closed meanwhile) is there with pid 0;
     * none when the process's tables cannot be read.
     */
    public static List<PeerCredentials> acceptedBy(long pid, Path socket) {
        Map<String, Integer> fds = socketFds(pid);
        List<PeerCredentials> peers = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "net", "unix"),
                    StandardCharsets.UTF_8)) {
                // Num RefCount Protocol Flags Type St Inode Path
                String[] f = line.strip().split("\\s+", 8);
                if (f.length == 8 && f[7].equals(socket.toString()) && f[5].equals(CONNECTED)
                        && (Long.parseLong(f[3], 16) & LISTENING) == 0 && fds.containsKey(f[6])) {
                    peers.add(peer(pid, fds.get(f[6])));
                }
            }
        } catch (IOException | NumberFormatException unreadable) {
            return List.of();
        }
        return peers;
    }

    private static PeerCredentials peer(long pid, int fd) {
        try (Fd process = Pidfd.open((int) pid); UnixSocket connection = UnixSocket.adopt(Pidfd.getFd(process, fd))) {
            return connection.peerCredentials();
        } catch (SysException unreachable) {
            return UNKNOWN;
        }
    }

    /** The process's sockets: inode → descriptor. */
    private static Map<String, Integer> socketFds(long pid) {
        Map<String, Integer> fds = new HashMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path entry : entries) {
                try {
                    String target = Files.readSymbolicLink(entry).toString();
                    if (target.startsWith("socket:[")) {
                        fds.put(target.substring(8, target.length() - 1),
                                Integer.parseInt(entry.getFileName().toString()));
                    }
                } catch (IOException closedMeanwhile) {
                    // not a connection then
                }
            }
        } catch (IOException notOurs) {
            // no access: no connection can be named
        }
        return fds;
    }
}
