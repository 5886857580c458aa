package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.qemu.qmp.QmpError;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the old QEMU's command line names that the old QEMU no longer has: devices unplugged at run time
 * ({@code device_del}) and backends deleted ({@code blockdev-del}, {@code netdev_del}, {@code chardev-remove},
 * {@code object-del}; a {@code -drive} goes with the device that used it). The new QEMU is started without them
 * ({@link #kept}): it would otherwise show the guest a device that went away, and open again a disk the operator may
 * since have given to another VM. A device left out would let the devices after it take other addresses, which the
 * migration could not load into: so each device that stays and has an id keeps the address it has now (a PCI slot, a
 * USB port). One without an id that moves makes the migration fail, and the replacement roll back. Options without
 * an id (an anonymous {@code -device}) cannot be told apart and stay.
 *
 * @param kept    the old QEMU's command line without what is gone, its devices pinned where they are
 * @param leftOut what is left out, said for the operator
 */
record Unplugged(QemuArgs kept, List<String> leftOut) {

    Unplugged {
        leftOut = List.copyOf(leftOut);
    }

    static Unplugged of(QemuInstance source, QemuArgs asStarted, OldBackends backends) {
        Map<String, Set<String>> present = present(source, backends);
        List<QemuArgs.Option> kept = new ArrayList<>();
        List<String> leftOut = new ArrayList<>();
        for (QemuArgs.Option o : asStarted.options()) {
            if (o.named().filter(n -> present.containsKey(n.kind()) && !present.get(n.kind()).contains(n.name()))
                    .isPresent()) {
                leftOut.add(String.join(" ", o.words()) + " is left out of the new QEMU's command line: the old QEMU"
                        + " no longer has it (removed at run time)");
            } else {
                kept.add(o);
            }
        }
        if (!leftOut.isEmpty()) {
            Map<String, String> usbPorts = UsbPorts.of(source.qmp());
            kept.replaceAll(o -> o.name().equals("device") ? pinned(source.qmp(), o, usbPorts) : o);
        }
        return new Unplugged(new QemuArgs(asStarted.binary(), kept, asStarted.directory()), leftOut);
    }

    /** Per kind of {@link QemuArgs.Named}, the names the old QEMU has now. */
    private static Map<String, Set<String>> present(QemuInstance source, OldBackends backends) {
        Set<String> disks = new HashSet<>();
        backends.blocks().forEach(b -> disks.add(b.path("device").asText()));
        backends.nodes().forEach(n -> disks.add(n.path("node-name").asText()));
        return Map.of("device", source.children("/machine/peripheral").keySet(), "drive", disks,
                "netdev", backends.networks().keySet(), "chardev", backends.chardevs().keySet(),
                "object", backends.objects().keySet());
    }

    /** {@code -device} with the PCI slot or USB port it has now written in, when it has an id and they are not. */
    private static QemuArgs.Option pinned(QmpClient qmp, QemuArgs.Option device, Map<String, String> usbPorts) {
        ObjectNode o = QemuOpts.read(device.value(), "driver");
        String id = o.path("id").asText("");
        if (id.isEmpty()) {
            return device;
        }
        if (!o.has("addr")) {
            try {
                int devfn = qmp.execute("qom-get", Map.of("path", "/machine/peripheral/" + id, "property", "addr"))
                        .asInt();
                o.put("addr", HotPlugged.slotAndFunction(devfn));
            } catch (QmpError notOnPci) {
                // not a PCI device
            }
        }
        if (!o.has("port") && usbPorts.containsKey(id)) {
            o.put("port", usbPorts.get(id));
        }
        return new QemuArgs.Option(device.name(), QemuOpts.write(o, "driver", device.value()));
    }
}
