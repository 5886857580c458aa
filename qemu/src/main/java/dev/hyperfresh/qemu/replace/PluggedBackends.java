package dev.hyperfresh.qemu.replace;

import static dev.hyperfresh.qemu.replace.HotPlugged.HMP;
import static dev.hyperfresh.qemu.replace.HotPlugged.NODES;
import static dev.hyperfresh.qemu.replace.HotPlugged.OBJECT_ADD;
import static dev.hyperfresh.qemu.replace.HotPlugged.READ_ONLY;
import static dev.hyperfresh.qemu.replace.HotPlugged.refused;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.qemu.Qom;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.qemu.replace.HotPlugged.Device;
import dev.hyperfresh.qemu.replace.HotPlugged.Step;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.StreamSupport;

/**
 * The backends of devices plugged in at run time, made again for the new QEMU from what the old one reports of them
 * ({@link HotPlugged}): disks, networks, memory, other objects, character devices, and a disk's I/O limits.
 */
final class PluggedBackends {
    private static final Set<String> PROTOCOLS = Set.of("file", "host_device", "host_cdrom");
    private static final String SLIRP_DEFAULT_NET = "10.0.2.0";
    /** What query-memdev reports of a memory backend that object-add takes. */
    private static final List<String> MEMORY_PROPERTIES = List.of("size", "merge", "dump", "prealloc", "share",
            "reserve", "policy", "host-nodes");

    private PluggedBackends() {
    }

    /**
     * The disk {@code name} as the old QEMU reports it: a drive ({@code drive_add}, keeping its name) or a block node
     * ({@code blockdev-add}, keeping its node name, its protocol node made anew).
     */
    static Step disk(Device d, String name, JsonNode blocks, JsonNode nodes, String vm) {
        Optional<JsonNode> drive = find(blocks, b -> b.path("device").asText().equals(name));
        if (drive.isPresent()) {
            JsonNode node = drive.get().path("inserted");
            if (node.isMissingNode()) {
                throw refused(vm, d, "its drive " + name + " has no medium: a new QEMU could not open it the same way");
            }
            String file = node.path("file").asText();
            String options = "if=none,id=" + QemuOpts.escape(name) + ",file=" + QemuOpts.escape(file)
                    + (file.startsWith("json:") ? "" : ",format=" + node.path("drv").asText())
                    + ",readonly=" + onOff(node.path("ro"))
                    + ",cache.direct=" + onOff(node.path("cache").path("direct"))
                    + ",cache.no-flush=" + onOff(node.path("cache").path("no-flush"))
                    + ",detect-zeroes=" + node.path("detect_zeroes").asText("off");
            return new Step(HMP, NODES.objectNode().put("command-line", "drive_add 0 " + options));
        }
        JsonNode node = find(nodes, n -> n.path("node-name").asText().equals(name)).orElseThrow(() -> refused(vm, d,
                "its disk " + name + " is neither a drive nor a block node QEMU lists"));
        String file = node.path("file").asText();
        String driver = node.path("drv").asText();
        ObjectNode add = NODES.objectNode();
        if (file.startsWith("json:")) {
            add = QemuOpts.read(file.substring(5), null);
        } else if (PROTOCOLS.contains(driver)) {
            add.put("driver", driver).put("filename", file);
        } else {
            add.put("driver", driver).set("file", NODES.objectNode()
                    .put("driver", file.startsWith("/dev/") ? "host_device" : "file").put("filename", file));
        }
        add.put("node-name", name).put("read-only", node.path("ro").asBoolean())
                .put("detect-zeroes", node.path("detect_zeroes").asText("off"))
                .set("cache", NODES.objectNode().put("direct", node.path("cache").path("direct").asBoolean())
                        .put("no-flush", node.path("cache").path("no-flush").asBoolean()));
        return new Step("blockdev-add", add);
    }

    /**
     * The memory backend {@code id} of a DIMM or virtio-mem device as {@code query-memdev} reports it, for
     * {@code object-add}: the guest's memory in it is the new QEMU's as the rest of its RAM is
     * ({@link StandbyCommandLine#derive} maps it, as a {@code -object} of the command line).
     */
    static Step memory(Device d, String id, Map<String, JsonNode> memory, Map<String, String> objects,
                               String vm) {
        JsonNode m = memory.get(id);
        if (m == null) {
            throw refused(vm, d, "its memory backend " + id + " is not one QEMU lists");
        }
        ObjectNode add = NODES.objectNode().put("qom-type", objects.getOrDefault(id, "")).put("id", id);
        for (String key : MEMORY_PROPERTIES) {
            if (m.has(key)) {
                add.set(key, m.get(key));
            }
        }
        return new Step(OBJECT_ADD, add);
    }

    /**
     * The character device {@code id} as {@code query-chardev} describes it, as a {@code -chardev} of the new QEMU's
     * command line (a listening socket's descriptor can be given there, not to {@code chardev-add}: QEMU 7.2 takes a
     * number only outside the monitor): one that discards, a pseudo-terminal (a new one, as for the command line's),
     * or a socket on a unix path or TCP port.
     */
    static String chardev(Device d, String id, Map<String, String> chardevs, String vm) {
        String described = chardevs.getOrDefault(id, "").replaceFirst("^disconnected:", "");
        int colon = described.indexOf(':');
        String kind = colon < 0 ? described : described.substring(0, colon);
        String idOption = ",id=" + QemuOpts.escape(id);
        return switch (kind) {
            case "null", "pty" -> kind + idOption;
            case "unix", "tcp", "telnet" -> {
                ObjectNode opts = QemuOpts.parse(described.substring(colon + 1), "address");
                String address = opts.remove("address").asText();
                String where = kind.equals("unix") ? ",path=" + QemuOpts.escape(address)
                        : ",host=" + address.substring(0, address.lastIndexOf(':'))
                        + ",port=" + address.substring(address.lastIndexOf(':') + 1)
                        + (kind.equals("telnet") ? ",telnet=on" : "");
                yield "socket" + idOption + where + ",server=" + (QemuOpts.isOn(opts, "server") ? "on" : "off");
            }
            default -> throw refused(vm, d, "its character device " + id + " (" + (described.isEmpty() ? "unknown"
                    : described) + ") was added at run time and cannot be made again in a new QEMU");
        };
    }

    /**
     * An object a device links to, added at run time ({@code object-add}: an rng backend, an iothread), with every
     * property QOM reads from it.
     */
    static Step object(QmpClient qmp, Device d, String id, Map<String, String> objects, String vm) {
        String type = objects.get(id);
        if (type == null) {
            throw refused(vm, d, "it links to the object " + id + ", which QEMU does not list");
        }
        ObjectNode add = NODES.objectNode().put("qom-type", type).put("id", id);
        for (JsonNode p : qmp.execute("qom-list-properties", Map.of("typename", type))) {
            String key = p.path("name").asText();
            String kind = p.path("type").asText();
            if (key.equals("type") || kind.startsWith("child<") || READ_ONLY.contains(key)) {
                continue;
            }
            Optional<JsonNode> value = Qom.get(qmp, "/objects/" + id, key).filter(v -> !v.isNull()
                    && !(v.isTextual() && v.asText().isEmpty()));
            if (value.isPresent() && kind.startsWith("link<")) {
                throw refused(vm, d, "its object " + id + " links to " + value.get().asText() + " in turn");
            }
            value.ifPresent(v -> add.set(key, v));
        }
        return new Step(OBJECT_ADD, add);
    }

    /**
     * The network {@code name} as {@code info network} describes it: a user-mode network with its {@code restrict}
     * (QEMU shows no other option of it), or a tap on the old QEMU's descriptors ({@code fd=}) or interface.
     */
    static Step network(Device d, String name, List<OldBackends.NetClient> clients, List<String> warnings, String vm) {
        if (clients.isEmpty()) {
            throw refused(vm, d, "its network " + name + " is not one QEMU lists");
        }
        OldBackends.NetClient first = clients.get(0);
        ObjectNode opts = QemuOpts.parse(first.info(), null);
        ObjectNode add = NODES.objectNode().put("type", first.type()).put("id", name);
        switch (first.type()) {
            case "user" -> {
                if (!opts.path("net").asText(SLIRP_DEFAULT_NET).equals(SLIRP_DEFAULT_NET)) {
                    throw refused(vm, d, "its user-mode network " + name + " is on " + opts.get("net").asText()
                            + ", whose netmask QEMU does not show");
                }
                add.put("restrict", QemuOpts.isOn(opts, "restrict"));
                warnings.add("the user-mode network " + name + " of " + d + " is made again with QEMU's defaults"
                        + " and its restrict= (QEMU shows no other option of it)");
            }
            case "tap" -> {
                if (opts.has("fd")) {
                    add.put(clients.size() == 1 ? "fd" : "fds", String.join(":", clients.stream()
                            .map(c -> QemuOpts.parse(c.info(), null).path("fd").asText()).toList()));
                } else if (opts.has("ifname")) {
                    add.put("ifname", opts.get("ifname").asText());
                } else {
                    throw refused(vm, d, "its tap network " + name + " was opened by a bridge helper: which tap is"
                            + " its own is not certain");
                }
            }
            default -> throw refused(vm, d, "its network " + name + " is of type " + first.type()
                    + ", which cannot be made again in a new QEMU");
        }
        return new Step("netdev_add", add);
    }


    /** The I/O limits of a disk device's drive ({@code block_set_io_throttle}), when it has any. */
    static Optional<Step> limits(Device d, JsonNode blocks, List<String> warnings) {
        Optional<JsonNode> drive = find(blocks, b -> b.path("qdev").asText().equals(d.path())
                || b.path("qdev").asText().startsWith(d.path() + "/"));
        JsonNode inserted = drive.map(b -> b.path("inserted")).orElse(NODES.missingNode());
        ObjectNode limits = NODES.objectNode();
        boolean any = false;
        for (Map.Entry<String, JsonNode> f : inserted.properties()) {
            String key = f.getKey();
            if (key.startsWith("bps") || key.startsWith("iops") || key.equals("group")) {
                limits.set(key, f.getValue());
                any |= key.matches("(bps|iops)(_rd|_wr)?") && f.getValue().asLong() > 0;
            }
        }
        if (!any) {
            return Optional.empty();
        }
        if (!d.arguments().has("id")) {
            warnings.add("the I/O limits of " + d + " are not set again: without an id its path in the new QEMU may"
                    + " differ");
            return Optional.empty();
        }
        // the QOM path of the device's block backend (a virtio disk's is its virtio-backend): the same in the new QEMU
        return Optional.of(new Step("block_set_io_throttle", limits.put("id", drive.get().path("qdev").asText())));
    }

    private static Optional<JsonNode> find(JsonNode array, Predicate<JsonNode> which) {
        return StreamSupport.stream(array.spliterator(), false).filter(which).findFirst();
    }

    static String onOff(JsonNode flag) {
        return flag.asBoolean() ? "on" : "off";
    }
}
