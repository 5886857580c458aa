package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.qemu.qmp.QmpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The TCP addresses the old QEMU's VNC display listens on, which the new QEMU cannot bind while the old one holds
 * them (it would fail to start: "Address already in use"). The new QEMU's display listens on the unix socket
 * {@code standbyPath} instead, and takes the addresses over once the old QEMU has exited (QMP {@code
 * display-update}, QEMU 7.1+), as the old QEMU's sockets are moved. VNC clients reconnect, as after any restart.
 */
record VncListener(Path standbyPath, List<Address> addresses) {
    /** One listening address as QEMU reports it ({@code query-vnc-servers}) and takes it back. */
    record Address(String host, String port) {
    }

    VncListener {
        addresses = List.copyOf(addresses);
    }

    /**
     * The TCP addresses of the default VNC display of the QEMU behind {@code qmp}; empty where it has none, or where
     * it also listens for websockets (a second port {@code display-update} cannot give back: such a QEMU is left as
     * it is, and its new QEMU fails to start and rolls back).
     */
    static List<Address> listening(QmpClient qmp) {
        List<Address> found = new ArrayList<>();
        for (JsonNode display : qmp.execute("query-vnc-servers")) {
            if (!display.path("id").asText().equals("default")) {
                continue;
            }
            for (JsonNode server : display.path("server")) {
                if (server.path("websocket").asBoolean()) {
                    return List.of();
                }
                String family = server.path("family").asText();
                if (family.equals("ipv4") || family.equals("ipv6")) {
                    found.add(new Address(server.path("host").asText(), server.path("service").asText()));
                }
            }
        }
        return found;
    }

    /**
     * The new QEMU's {@code -vnc} value for the old one's {@code value}, whose display listens on TCP ({@link
     * #listening} says so: after a replacement the command line names the unix socket it started on), listening on
     * {@code standbyPath}; empty when it is not the default display to take over (a reverse connection, websockets,
     * another display).
     */
    static Optional<String> standbyOption(String value, Path standbyPath) {
        ObjectNode o = QemuOpts.parse(value, "vnc");
        if (o.has("reverse") || o.has("websocket") || o.has("id") && !o.get("id").asText().equals("default")) {
            return Optional.empty();
        }
        o.put("vnc", "unix:" + standbyPath);
        o.remove(List.of("to", "ipv4", "ipv6"));   // of the TCP address, which comes back as it was bound
        return Optional.of(QemuOpts.format(o, "vnc"));
    }

    /** Moves the new QEMU's VNC display to the old one's addresses, which the old QEMU's exit has freed. */
    void listenAgain(QmpClient newQemu) {
        try {
            newQemu.execute("display-update", Map.of("type", "vnc", "addresses", addresses.stream()
                    .map(a -> Map.of("type", "inet", "host", a.host(), "port", a.port())).toList()));
        } catch (RuntimeException e) {
            throw new IllegalStateException("the new QEMU runs the VM, but its VNC display could not listen on "
                    + addresses.stream().map(a -> a.host() + ":" + a.port()).toList() + " again (" + e.getMessage()
                    + "); it listens on unix:" + standbyPath, e);
        }
    }
}
