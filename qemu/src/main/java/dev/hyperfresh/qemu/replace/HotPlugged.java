package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.Qom;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.qemu.qmp.QmpError;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The devices plugged into the old QEMU after it started ({@code device_add}: QOM's {@code hotplugged}) and how the
 * new QEMU gets them too. It starts from the old one's command line, which lacks them, and a migration loads only
 * into the same devices; so before the migration it is given them over QMP ({@link #steps}), as a migration's
 * destination is told every device its source has now: each backend the command line does not declare, made again
 * from what the old QEMU reports of it ({@link PluggedBackends}: a disk's {@code blockdev-add} or {@code drive_add},
 * a network's {@code netdev_add}, its tap handed over as the command line's are, a DIMM's memory backend's
 * {@code object-add}, on the old QEMU's memory as the command line's backends are, other objects'
 * {@code object-add}; a character device goes on the new QEMU's command line instead, {@link #chardevs}), then
 * {@code device_add} with the device's id, bus and every property that differs from its type's default (a vCPU by
 * its place alone), the devices that provide a bus before those on it, then a disk's I/O limits. A device whose
 * backend cannot be made again so (a file character device, a network QEMU does not describe) is refused before
 * anything starts.
 *
 * @param steps    the QMP commands, in order; a tap network's {@code fd}/{@code ifname} and a memory backend are still
 *                 the old QEMU's until {@link #handedOver} (from {@link StandbyCommandLine#derive})
 * @param chardevs the character devices added at run time, as {@code -chardev} values the new QEMU starts with
 * @param warnings what the new QEMU's copies lack that the operator should know
 */
record HotPlugged(List<Step> steps, List<String> chardevs, List<String> warnings) {
    /** One QMP command the new QEMU runs before the migration. */
    record Step(String command, ObjectNode arguments) {
        @Override
        public String toString() {
            return command + " " + arguments;
        }
    }

    static final String HMP = "human-monitor-command";
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final List<String> CONTAINERS = List.of("/machine/peripheral", "/machine/peripheral-anon");
    /** Device properties naming a backend by id, and its kind ({@link QemuArgs.Named}). */
    private static final Map<String, String> BACKEND_PROPERTIES = Map.of("drive", "drive", "netdev", "netdev",
            "chardev", "chardev", "audiodev", "audiodev", "fsdev", "fsdev");
    private static final String PCI_ADDRESS = "addr";
    /** How QEMU lists a PCI device's {@code addr}: 7.2 as int32, 10 as str (a DIMM's is a uint64, its address). */
    private static final Set<String> PCI_ADDRESS_TYPES = Set.of("int32", "str");
    private static final String DRIVE = "drive";
    private static final String USB_PORT = "port";
    static final String OBJECT_ADD = "object-add";
    private static final String MEMORY = "memory-backend-";
    private static final int NOT_A_CPU = -1;
    /**
     * Properties QEMU lists but cannot set (its list does not say which): a memory device's size is its backend's, an
     * rng backend is always open, a USB device is attached by its port, a PCI device's bus number (QEMU 10) is its
     * bus's.
     */
    static final Set<String> READ_ONLY = Set.of("size", "opened", "attached", "busnr");

    HotPlugged {
        steps = List.copyOf(steps);
        chardevs = List.copyOf(chardevs);
        warnings = List.copyOf(warnings);
    }

    static HotPlugged none() {
        return new HotPlugged(List.of(), List.of(), List.of());
    }

    /**
     * Reads the old QEMU's hot-plugged devices and their backends.
     *
     * @param backends what the old QEMU has now
     * @param vm       how refusals name the VM
     * @throws NotReplaceableException for a device that cannot be plugged into the new QEMU the same way
     */
    static HotPlugged read(QemuInstance source, QemuArgs running, OldBackends backends, String vm) {
        List<Device> devices = devices(source, backends.blocks(), vm);
        if (devices.isEmpty()) {
            return none();
        }
        Map<String, Set<String>> declared = declared(running);
        QmpClient qmp = source.qmp();
        List<Step> steps = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Map<String, Device> networks = new HashMap<>();
        Map<String, JsonNode> memory = new HashMap<>();
        qmp.execute("query-memdev").forEach(m -> memory.put(m.path("id").asText(), m));
        Map<String, String> objects = backends.objects();
        Set<String> made = new HashSet<>();
        List<String> chardevOptions = new ArrayList<>();
        for (Device d : devices) {
            d.backends.forEach((property, name) -> {
                String kind = BACKEND_PROPERTIES.getOrDefault(property, "object");
                if (declared.getOrDefault(kind, Set.of()).contains(name) || !made.add(kind + ":" + name)) {
                    return;   // on the command line, or made for another device already (an iothread two disks share)
                }
                switch (property) {
                    case "drive" -> {
                        steps.add(PluggedBackends.disk(d, name, backends.blocks(), backends.nodes(), vm));
                        warnings.add("the disk " + name + " of " + d + " is opened again from what QEMU reports of"
                                + " it (driver, file, read-only, cache, detect-zeroes): any other option it was added"
                                + " with (discard, aio, ...) takes its default");
                    }
                    case "netdev" -> networks.put(name, d);
                    case "memdev" -> steps.add(PluggedBackends.memory(d, name, memory, objects, vm));
                    case "chardev" -> chardevOptions.add(PluggedBackends.chardev(d, name, backends.chardevs(), vm));
                    default -> {
                        if (BACKEND_PROPERTIES.containsKey(property)) {
                            throw refused(vm, d, "its " + property + " " + name + " was added at run time and cannot"
                                    + " be made again in a new QEMU");
                        }
                        steps.add(PluggedBackends.object(qmp, d, name, objects, vm));
                    }
                }
            });
        }
        List<String> userNetworks = HostForwards.userNetworks(qmp);
        List<String> inOrder = new ArrayList<>(networks.keySet());
        inOrder.sort(Comparator.comparingInt(n -> userNetworks.contains(n) ? userNetworks.indexOf(n)
                : Integer.MAX_VALUE));   // user-mode networks in the order the old QEMU made them: their state's order
        for (String network : inOrder) {
            steps.add(PluggedBackends.network(networks.get(network), network,
                    backends.networks().getOrDefault(network, List.of()), warnings, vm));
        }
        for (Device d : inBusOrder(devices)) {
            steps.add(new Step("device_add", d.arguments));
        }
        for (Device d : devices) {
            PluggedBackends.limits(d, backends.blocks(), warnings).ifPresent(steps::add);
        }
        return new HotPlugged(steps, chardevOptions, warnings);
    }

    /** Runs the steps on the new QEMU; the first that fails throws, saying which device and what QEMU said. */
    void plugInto(QmpClient standby) {
        for (Step step : steps) {
            String failure;
            try {
                JsonNode answer = standby.execute(step.command(), fields(step.arguments()));
                String said = answer.asText("").strip();
                failure = step.command().equals(HMP) && !said.equals("OK") ? said : null;
            } catch (QmpError e) {
                failure = e.description();
            }
            if (failure != null) {
                throw new IllegalStateException("the new QEMU could not be given a device the old one had plugged in"
                        + " (" + step + "): " + failure);
            }
        }
    }

    /**
     * The same for the new QEMU: each tap network on its numbers for the old QEMU's descriptors, handed over with
     * those of the command line, and each memory backend as {@code memoryBackend} rewrites a {@code -object}.
     */
    HotPlugged handedOver(FileHandover handover, UnaryOperator<String> memoryBackend) {
        List<Step> handed = new ArrayList<>();
        for (Step step : steps) {
            if (step.command().equals(OBJECT_ADD) && step.arguments().path("qom-type").asText().startsWith(MEMORY)) {
                handed.add(new Step(OBJECT_ADD, QemuOpts.read(memoryBackend.apply(step.arguments().toString()), null)));
                continue;
            }
            if (!isTap(step)) {
                handed.add(step);
                continue;
            }
            String asFound = step.arguments().toString();
            int handedBefore = handover.handed().oldFds().size();
            String onNewFds = handover.network("netdev", asFound);
            if (handover.handed().oldFds().size() == handedBefore) {
                throw new NotReplaceableException("the tap network " + step.arguments().path("id").asText() + ", added"
                        + " at run time (" + asFound + "), is not on a tap the old QEMU holds: it cannot be handed"
                        + " over");
            }
            handed.add(new Step(step.command(), QemuOpts.read(onNewFds, "type")));
        }
        return new HotPlugged(handed, chardevs, warnings);
    }

    /** The tap networks to be made again, as -netdev would write them: {@link FileHandover} must not count theirs. */
    List<ObjectNode> taps() {
        return steps.stream().filter(HotPlugged::isTap).map(Step::arguments).toList();
    }

    private static boolean isTap(Step step) {
        return step.command().equals("netdev_add") && step.arguments().path("type").asText().equals("tap");
    }

    /**
     * A hot-plugged device: its QOM path, the path of the bus it sits on, its device_add arguments and backends, and
     * for a vCPU its number.
     */
    record Device(String path, String busPath, ObjectNode arguments, Map<String, String> backends,
                          int cpuIndex) {
        @Override
        public String toString() {
            return (arguments.has("id") ? arguments.get("id").asText() : path) + " ("
                    + arguments.get("driver").asText() + ")";
        }
    }

    /** A device QOM lists as hot-plugged: its container, its name there and its type. */
    private record Plugged(String container, String name, String type) {
        String path() {
            return container + "/" + name;
        }
    }

    private static List<Device> devices(QemuInstance source, JsonNode blocks, String vm) {
        QmpClient qmp = source.qmp();
        List<Plugged> plugged = new ArrayList<>();
        for (String container : CONTAINERS) {
            source.children(container).forEach((name, type) -> {
                if (Qom.get(qmp, container + "/" + name, "hotplugged").map(JsonNode::asBoolean).orElse(false)) {
                    plugged.add(new Plugged(container, name, type));
                }
            });
        }
        if (plugged.isEmpty()) {
            return List.of();   // the usual case: nothing more to ask the old QEMU
        }
        Map<String, JsonNode> properties = new HashMap<>();
        Map<String, JsonNode> cpus = new HashMap<>();
        qmp.execute("query-cpus-fast").forEach(c -> cpus.put(c.path("qom-path").asText(), c));
        Map<String, String> disks = disksByDevice(blocks);
        Map<String, String> usbPorts = UsbPorts.of(qmp);
        List<Device> devices = new ArrayList<>();
        for (Plugged each : plugged) {
            String name = each.name();
            String type = each.type();
            String path = each.path();
            ObjectNode arguments = NODES.objectNode().put("driver", type);
            if (each.container().equals("/machine/peripheral")) {
                arguments.put("id", name);
            }
            JsonNode cpu = cpus.get(path);
            if (cpu != null) {
                // its model is the command line's -cpu; what makes it this vCPU is its place
                arguments.setAll((ObjectNode) cpu.path("props"));
                devices.add(new Device(path, "", arguments, Map.of(), cpu.path("cpu-index").asInt()));
                continue;
            }
            String busPath = Qom.get(qmp, path, "parent_bus").map(JsonNode::asText).orElse("");
            if (!busPath.isEmpty()) {   // a DIMM sits on none
                arguments.put("bus", busPath.substring(busPath.lastIndexOf('/') + 1));
            }
            Map<String, String> backends = new LinkedHashMap<>();
            JsonNode list = properties.computeIfAbsent(type, t -> qmp.execute("device-list-properties",
                    Map.of("typename", t)));
            for (JsonNode p : list) {
                property(qmp, path, p).ifPresent(value -> {
                    String key = p.path("name").asText();
                    String text = value.asText();
                    if (p.path("type").asText().startsWith("link<")) {
                        if (!text.startsWith("/objects/")) {
                            throw refused(vm, name + " (" + type + ")", "its " + key + " links to " + text
                                    + ", which a new QEMU would not have");
                        }
                        text = text.substring("/objects/".length());
                        backends.put(key, text);
                        arguments.put(key, text);
                        return;
                    }
                    if (BACKEND_PROPERTIES.containsKey(key)) {
                        backends.put(key, text);
                    }
                    // QOM gives a PCI device's devfn as a number, whatever type the list names
                    boolean pciAddress = key.equals(PCI_ADDRESS) && value.isNumber()
                            && PCI_ADDRESS_TYPES.contains(p.path("type").asText());
                    arguments.set(key, pciAddress ? NODES.textNode(slotAndFunction(value.asInt())) : value);
                });
            }
            ownDisk(path, list, arguments, disks).ifPresent(disk -> backends.put(DRIVE, disk));
            if (!arguments.has(USB_PORT) && usbPorts.containsKey(name)) {   // its state migrates under it
                arguments.put(USB_PORT, usbPorts.get(name));
            }
            devices.add(new Device(path, busPath, arguments, backends, NOT_A_CPU));
        }
        devices.sort(Comparator.comparing(Device::path));
        checkCpuNumbers(devices, cpus.size(), vm);
        return devices;
    }

    /**
     * A device property worth giving: set, not its type's default, not one of the device's own children (a
     * virtio device's backend, its default rng).
     */
    private static Optional<JsonNode> property(QmpClient qmp, String path, JsonNode p) {
        if (p.path("type").asText().startsWith("child<") || READ_ONLY.contains(p.path("name").asText())) {
            return Optional.empty();
        }
        Optional<JsonNode> value = Qom.get(qmp, path, p.path("name").asText());
        Predicate<JsonNode> worth = v -> !v.isNull()
                && !(p.has("default-value") ? v.equals(p.get("default-value")) : v.asText().isEmpty())
                && !(v.isTextual() && v.asText().startsWith(path + "/"));
        return value.filter(worth);
    }

    /**
     * A PCI device's address as device_add reads it: QOM gives the devfn, a number, and QEMU 7.2's device_add reads
     * every argument as text, where a number is the slot (devfn 8 would become slot 8, not slot 1).
     */
    static String slotAndFunction(int devfn) {
        return String.format("%02x.%x", devfn >> 3, devfn & 7);
    }

    /** Each disk's device, by QOM path: the disk's name as a device's {@code drive} takes it (its id, else its node). */
    private static Map<String, String> disksByDevice(JsonNode blocks) {
        Map<String, String> disks = new HashMap<>();
        for (JsonNode block : blocks) {
            String name = block.path("device").asText("");
            disks.put(block.path("qdev").asText(), name.isEmpty() ? block.path("inserted").path("node-name").asText()
                    : name);
        }
        return disks;
    }

    /**
     * The disk of a device that hands its drive to a device of its own at realize (usb-storage to the SCSI disk on
     * its internal bus, whereupon its own {@code drive} reads empty): found by that device's QOM path, below its own,
     * and set as its {@code drive}.
     */
    private static Optional<String> ownDisk(String path, JsonNode properties, ObjectNode arguments,
                                            Map<String, String> disks) {
        boolean takesADrive = false;
        for (JsonNode p : properties) {
            takesADrive |= p.path("name").asText().equals(DRIVE);
        }
        if (!takesADrive || arguments.has(DRIVE)) {
            return Optional.empty();
        }
        Optional<String> disk = disks.entrySet().stream().filter(d -> d.getKey().startsWith(path + "/"))
                .map(Map.Entry::getValue).filter(n -> !n.isEmpty()).findFirst();
        disk.ifPresent(d -> arguments.put(DRIVE, d));
        return disk;
    }

    /** The backends the command line declares, by kind: ids and node names. */
    private static Map<String, Set<String>> declared(QemuArgs running) {
        Map<String, Set<String>> declared = new HashMap<>();
        running.options().forEach(o -> o.named().ifPresent(n -> declared.computeIfAbsent(n.kind(),
                k -> new HashSet<>()).add(n.name())));
        return declared;
    }

    /**
     * A vCPU's state migrates under its number, and QEMU numbers a plugged vCPU one above the highest: the new QEMU
     * numbers the plugged vCPUs after the command line's in the order they are plugged, so theirs must follow the
     * command line's without a gap (one unplugged in between would shift the rest).
     */
    private static void checkCpuNumbers(List<Device> devices, int allCpus, String vm) {
        List<Device> plugged = devices.stream().filter(d -> d.cpuIndex != NOT_A_CPU)
                .sorted(Comparator.comparingInt(Device::cpuIndex)).toList();
        int next = allCpus - plugged.size();
        for (Device cpu : plugged) {
            if (cpu.cpuIndex != next++) {
                throw refused(vm, cpu, "is vCPU " + cpu.cpuIndex + " where a new QEMU would number it " + (next - 1)
                        + " (a vCPU numbered below it was unplugged), so its state would load into another vCPU");
            }
        }
    }

    /**
     * The devices, each after the one whose bus it sits on when that is hot-plugged too; vCPUs first, in their
     * numbers' order (which is how the new QEMU numbers them).
     */
    private static List<Device> inBusOrder(List<Device> devices) {
        List<Device> left = new ArrayList<>(devices);
        left.sort(Comparator.comparingInt(d -> d.cpuIndex == NOT_A_CPU ? Integer.MAX_VALUE : d.cpuIndex));
        List<Device> ordered = new ArrayList<>();
        while (!left.isEmpty()) {
            Device next = left.stream().filter(d -> left.stream().noneMatch(p -> p != d
                    && d.busPath.startsWith(p.path + "/"))).findFirst().orElse(left.get(0));
            left.remove(next);
            ordered.add(next);
        }
        return ordered;
    }

    private static Map<String, JsonNode> fields(ObjectNode o) {
        Map<String, JsonNode> fields = new LinkedHashMap<>();
        o.properties().forEach(e -> fields.put(e.getKey(), e.getValue()));
        return fields;
    }

    static NotReplaceableException refused(String vm, Object device, String why) {
        return new NotReplaceableException(vm + ": " + device + " was plugged in after it started and " + why
                + ". Unplug it (device_del) before the replacement and plug it in again after it, or restart the VM"
                + " with it on its command line");
    }
}
