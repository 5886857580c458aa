package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Pidfd;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.UnixSocket;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Who else is connected to a QEMU's monitors than this console: above all libvirt, which knows a domain by its QEMU
 * process and that process's monitor connection. Replaced, the old QEMU's end closes that connection, and a program
 * managing the QEMU takes it for the VM's end — libvirt marks the domain crashed, tears down what it set up for it
 * around the new QEMU (its cgroups, its files' ownership, its machine scope with what runs in it) and may start the
 * domain again beside it. Read from QMP ({@code query-chardev}: which monitors have a client) and /proc (which of the
 * QEMU's sockets is that connection; its peer's credentials through a duplicate taken with pidfd_getfd).
 */
record MonitorClients(boolean startedByLibvirt, List<Client> clients) {
    /** The id libvirt gives the monitor of every QEMU it starts, and its daemon reconnects to when it restarts. */
    static final String LIBVIRT_MONITOR = "charmonitor";
    private static final Set<String> LIBVIRT_PROGRAMS = Set.of("libvirtd", "virtqemud", "virt-qemu-run");
    private static final String COMPAT_MONITOR = "compat_monitor";
    private static final String DISCONNECTED = "disconnected:";
    private static final int UNIX_LISTENING = 0x10000;
    private static final String UNIX_CONNECTED = "03";

    /** A program on monitor {@code monitor} ({@code where}: its socket); pid 0 where the kernel did not say. */
    record Client(String monitor, String where, long pid, String program) {
        boolean libvirt() {
            return LIBVIRT_PROGRAMS.contains(program);
        }

        String who() {
            return pid == 0 ? "a program" : program + " (pid " + pid + ")";
        }
    }

    MonitorClients {
        clients = List.copyOf(clients);
    }

    /** The clients of {@code source}'s QMP monitors but this console's own connections. */
    static MonitorClients of(QemuInstance source, QemuArgs args) {
        Map<String, Boolean> monitors = monitors(args);
        List<Client> clients = new ArrayList<>();
        for (JsonNode chardev : source.qmp().execute("query-chardev")) {
            String label = chardev.path("label").asText("");
            String filename = chardev.path("filename").asText("");
            if (!monitors.getOrDefault(label, false) || filename.startsWith(DISCONNECTED) || filename.isEmpty()) {
                continue;
            }
            Optional<Path> socket = unixPath(filename);
            if (socket.isEmpty()) {
                clients.add(new Client(label, filename, 0, ""));
            } else if (!filename.contains(",server=on")) {
                // QEMU connected out, to a program listening there (Proxmox's qmeventd, for one)
                clients.add(new Client(label, "QEMU's connection to " + socket.get(), 0, ""));
            } else {
                clients.addAll(onSocket(source.pid(), label, socket.get(), source.info().qmpSocket()));
            }
        }
        return new MonitorClients(monitors.containsKey(LIBVIRT_MONITOR), clients);
    }

    /** Whether libvirt runs this QEMU: it started it, or holds one of its monitors. */
    boolean libvirt() {
        return startedByLibvirt || clients.stream().anyMatch(Client::libvirt);
    }

    /**
     * The monitors the command line made, by chardev label: whether each speaks QMP (control mode), which programs
     * manage QEMU through, where a human monitor's client is a person, whose session a replacement ends as a
     * disconnect would. {@code -qmp} and {@code -monitor} number their chardevs compat_monitorN in order, as QEMU's
     * monitor_parse does; {@code -mon chardev=ID} names one.
     */
    private static Map<String, Boolean> monitors(QemuArgs args) {
        Map<String, Boolean> monitors = new HashMap<>();
        int compat = 0;
        for (QemuArgs.Option o : args.options()) {
            if (o.value() == null) {
                continue;
            }
            boolean qmp = o.name().equals("qmp") || o.name().equals("qmp-pretty");
            if (qmp || (o.name().equals("monitor") && !o.value().startsWith("none"))) {
                String label = o.value().startsWith("chardev:") ? o.value().substring(8) : COMPAT_MONITOR + compat;
                monitors.put(label, qmp);
                compat++;
            } else if (o.name().equals("mon")) {
                ObjectNode mon = QemuOpts.read(o.value(), "chardev");
                monitors.put(mon.path("chardev").asText(""), mon.path("mode").asText("").equals("control"));
            }
        }
        return monitors;
    }

    /** A unix socket chardev's path: "unix:PATH,server=on" as query-chardev writes it. */
    private static Optional<Path> unixPath(String filename) {
        if (!filename.startsWith("unix:")) {
            return Optional.empty();
        }
        int comma = filename.indexOf(',');
        return Optional.of(Path.of(filename.substring(5, comma < 0 ? filename.length() : comma)));
    }

    /** Whether the socket a QEMU bound is the one this console connected to, as far as the names tell. */
    private static boolean isSameFile(Path bound, Path ours) {
        try {
            return bound.equals(ours) || Files.isSameFile(bound, ours);
        } catch (IOException renamedSince) {
            return false;
        }
    }

    /**
     * The connections QEMU accepted on {@code socket}: its connected sockets bearing that address
     * (/proc/PID/net/unix), each peer's pid as the kernel recorded it at connect. A client whose pid cannot be read
     * (another user's QEMU, a connection closed meanwhile) is still one.
     */
    private static List<Client> onSocket(long pid, String label, Path socket, Path ours) {
        Map<String, Integer> fds = socketFds(pid);
        List<Client> clients = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "net", "unix"),
                    StandardCharsets.UTF_8)) {
                String[] f = line.strip().split("\\s+", 8);
                if (f.length == 8 && f[7].equals(socket.toString()) && f[5].equals(UNIX_CONNECTED)
                        && (Integer.parseInt(f[3], 16) & UNIX_LISTENING) == 0 && fds.containsKey(f[6])) {
                    clients.add(peer(pid, fds.get(f[6]), label, socket));
                }
            }
        } catch (IOException | NumberFormatException unreadable) {
            // not ours to read: query-chardev said a client is there
        }
        if (clients.isEmpty() && !isSameFile(socket, ours)) {
            clients.add(new Client(label, socket.toString(), 0, ""));
        }
        long self = ProcessHandle.current().pid();
        return clients.stream().filter(c -> c.pid() != self).toList();
    }

    private static Client peer(long pid, int fd, String label, Path socket) {
        try (Fd qemu = Pidfd.open((int) pid); UnixSocket connection = UnixSocket.adopt(Pidfd.getFd(qemu, fd))) {
            long peer = connection.peerCredentials().pid();
            return new Client(label, socket.toString(), peer, peer == 0 ? "" : program(peer));
        } catch (SysException unreachable) {
            return new Client(label, socket.toString(), 0, "");
        }
    }

    private static String program(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm"), StandardCharsets.UTF_8).strip();
        } catch (IOException gone) {
            return "a process since gone";
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
                        fds.put(target.substring(8, target.length() - 1), Integer.parseInt(
                                entry.getFileName().toString()));
                    }
                } catch (IOException closedMeanwhile) {
                    // not a client then
                }
            }
        } catch (IOException notOurs) {
            // no access: the clients stay unnamed
        }
        return fds;
    }
}
