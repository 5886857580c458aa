package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.qemu.qmp.QmpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The machine type a running QEMU emulates, by its versioned name ({@code pc-q35-7.2} where its command line said
 * {@code q35}, or said nothing and got QEMU's default). A newer QEMU resolves those aliases to its own newest
 * version, whose devices and defaults differ, and refuses the migration ("Machine type received is 'pc-q35-7.2' and
 * local is 'pc-q35-10.0'"): so the new QEMU's command line names the versioned type, as libvirt pins its domains'.
 * A QEMU older than the type (the way back from an upgrade, for a VM that started on the newer release's machine)
 * is refused before anything starts.
 */
final class MachineType {
    /** QOM's suffix of a machine class's type name. */
    private static final String SUFFIX = "-machine";

    private MachineType() {
    }

    /**
     * Refuses a new QEMU that does not emulate {@code type}, as its {@code -machine help} lists them (asked of
     * another program than the old QEMU's); one that cannot say (a wrapper) is left to its start, where it fails
     * naming the type, and the replacement rolls back.
     */
    static void requireEmulatedBy(Path newBinary, String type, String vm) {
        Set<String> machines = machinesOf(newBinary);
        if (!machines.isEmpty() && !machines.contains(type)) {
            throw new NotReplaceableException(vm + " runs the machine type " + type + ", which " + newBinary
                    + " does not emulate: it is an older QEMU release than the one that machine came with. The VM is"
                    + " left as it is; replace it with a QEMU whose -machine help lists " + type + " (the release"
                    + " the VM started on, or a newer one)");
        }
    }

    /** The machine types {@code binary -machine help} lists; empty where it does not say. */
    static Set<String> machinesOf(Path binary) {
        Set<String> machines = new HashSet<>();
        for (String line : QemuHelp.lines(binary, "-machine", "help")) {
            if (!line.isBlank() && !Character.isWhitespace(line.charAt(0)) && !line.endsWith(":")) {
                machines.add(line.split("\\s+", 2)[0]);   // "pc-q35-7.2    Standard PC (Q35 + ICH9, 2009)"
            }
        }
        return machines;
    }

    /** The versioned machine type {@code qmp}'s QEMU runs, from QOM ({@code /machine}'s type). */
    static String of(QmpClient qmp) {
        String type = qmp.execute("qom-get", Map.of("path", "/machine", "property", "type")).asText();
        return type.endsWith(SUFFIX) ? type.substring(0, type.length() - SUFFIX.length()) : type;
    }

    /**
     * {@code running} with its machine type named {@code type}: in its first {@code -machine} (or {@code -M}), the
     * others keeping only their properties (QEMU merges them, a later type winning), or in a {@code -machine} of
     * its own where it has none.
     */
    static QemuArgs pin(QemuArgs running, String type) {
        List<QemuArgs.Option> options = new ArrayList<>();
        boolean named = false;
        for (QemuArgs.Option o : running.options()) {
            if (!(o.name().equals("machine") || o.name().equals("M")) || o.value() == null) {
                options.add(o);
                continue;
            }
            ObjectNode properties = QemuOpts.parse(o.value(), "type");
            properties.remove("type");
            if (!named) {
                ObjectNode typed = JsonNodeFactory.instance.objectNode().put("type", type);
                properties = typed.setAll(properties);
                named = true;
            }
            if (!properties.isEmpty()) {
                options.add(new QemuArgs.Option(o.name(), QemuOpts.format(properties, "type")));
            }
        }
        if (!named) {
            options.add(new QemuArgs.Option("machine", type));
        }
        return new QemuArgs(running.binary(), options, running.directory());
    }
}
