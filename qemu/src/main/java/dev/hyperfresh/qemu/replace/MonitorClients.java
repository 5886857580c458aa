package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.qemu.Libvirt;
import dev.hyperfresh.qemu.QemuInfo;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.sys.ProcStatus;
import dev.hyperfresh.sys.SocketPeers;
import dev.hyperfresh.sys.UnixSocket.PeerCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who else is connected to a QEMU's monitors than this console: above all libvirt, which knows a domain by its QEMU
 * process and that process's monitor connection. Replaced, the old QEMU's end closes that connection, and a program
 * managing the QEMU takes it for the VM's end — libvirt marks the domain crashed, tears down what it set up for it
 * around the new QEMU (its cgroups, its files' ownership, its machine scope with what runs in it) and may start the
 * domain again beside it. Read from QMP ({@code query-chardev}: which monitors have a client) and /proc (which of the
 * QEMU's sockets is that connection; its peer's credentials through a duplicate taken with pidfd_getfd).
 */
record MonitorClients(boolean startedByLibvirt, List<Client> clients, List<Client> people) {
    private static final String DISCONNECTED = "disconnected:";

    /** A program on monitor {@code monitor} ({@code where}: its socket); pid 0 where the kernel did not say. */
    record Client(String monitor, String where, long pid, String program) {
        boolean libvirt() {
            return Libvirt.isLibvirt(program);
        }

        String who() {
            return pid == 0 ? "a program" : program + " (pid " + pid + ")";
        }
    }

    MonitorClients {
        clients = List.copyOf(clients);
        people = List.copyOf(people);
    }

    /**
     * The clients of the monitors of the QEMU {@code info} describes but this console's own connections: on QMP
     * monitors, {@code clients} (programs); on human monitors, {@code people}, whose session a replacement ends as a
     * disconnect would.
     */
    static MonitorClients of(QmpClient qmp, QemuInfo info, QemuArgs args) {
        Map<String, Boolean> monitors = args.monitors();
        List<Client> clients = new ArrayList<>();
        List<Client> people = new ArrayList<>();
        for (JsonNode chardev : qmp.execute("query-chardev")) {
            String label = chardev.path("label").asText("");
            String filename = chardev.path("filename").asText("");
            if (!monitors.containsKey(label) || filename.startsWith(DISCONNECTED) || filename.isEmpty()) {
                continue;
            }
            List<Client> on = monitors.get(label) ? clients : people;
            Optional<Path> socket = unixPath(filename);
            if (socket.isEmpty()) {
                on.add(new Client(label, filename, 0, ""));
            } else if (!filename.contains(",server=on")) {
                // QEMU connected out, to a program listening there (Proxmox's qmeventd, for one)
                on.add(new Client(label, "QEMU's connection to " + socket.get(), 0, ""));
            } else {
                on.addAll(onSocket(info.pid(), label, socket.get(), info.qmpSocket()));
            }
        }
        return new MonitorClients(info.runByLibvirt(), clients, people);
    }

    /** What the people on human monitors are told: their sessions end with the old QEMU. */
    List<String> warnings() {
        return people.stream().map(c -> "the session of " + (c.pid() == 0 ? "someone" : c.who())
                + " on the human monitor " + c.monitor() + " (" + c.where() + ") ends with the old QEMU; the new"
                + " one listens there").toList();
    }

    /** Whether libvirt runs this QEMU: it started it, or holds one of its monitors. */
    boolean libvirt() {
        return startedByLibvirt || clients.stream().anyMatch(Client::libvirt);
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
            return bound.equals(ours) || Files.isSameFile(SocketMove.named(bound), ours);
        } catch (IOException gone) {
            return false;
        }
    }

    /**
     * The connections QEMU accepted on {@code socket} but this process's, each peer named. A client whose pid cannot
     * be read (another user's QEMU, a connection closed meanwhile) is still one, unless the socket is {@code ours}.
     */
    private static List<Client> onSocket(long pid, String label, Path socket, Path ours) {
        List<PeerCredentials> peers = SocketPeers.acceptedBy(pid, socket);
        if (peers.isEmpty() && !isSameFile(socket, ours)) {
            // query-chardev said a client is there
            return List.of(new Client(label, socket.toString(), 0, ""));
        }
        long self = ProcessHandle.current().pid();
        return peers.stream().filter(p -> p.pid() != self).map(p -> new Client(label, socket.toString(), p.pid(),
                p.pid() == 0 ? "" : ProcStatus.name(p.pid()).orElse("a process since gone"))).toList();
    }
}
