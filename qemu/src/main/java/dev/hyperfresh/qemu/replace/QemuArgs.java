package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A QEMU command line as options: {@code -name value} pairs and the flags that take no value. QEMU accepts
 * {@code --name} for {@code -name}; this keeps what was written. {@code directory} is the one its relative paths
 * name files in (the process's working directory), null where unknown.
 */
public record QemuArgs(String binary, List<Option> options, Path directory) {
    private static final String COMPAT_MONITOR = "compat_monitor";

    /** One option; {@code value} is null for a flag. */
    record Option(String name, String value) {
        List<String> words() {
            return value == null ? List.of("-" + name) : List.of("-" + name, value);
        }

        /**
         * What this option gives the VM under a name others refer to it by: a device ({@code -device id=}), a disk
         * ({@code -drive id=}, {@code -blockdev node-name=}: kind "drive", as a device's {@code drive=} names
         * either), a network, character device, object, audio or file system backend; empty for the rest.
         */
        Optional<Named> named() {
            String kind = switch (name) {
                case "blockdev", "drive" -> "drive";
                case "device", "netdev", "chardev", "audiodev", "fsdev", "object" -> name;
                default -> null;
            };
            if (kind == null || value == null) {
                return Optional.empty();
            }
            ObjectNode opts = QemuOpts.read(value, name.equals("blockdev") || name.equals("drive") ? null : "type");
            String key = name.equals("blockdev") ? "node-name" : "id";
            return opts.has(key) ? Optional.of(new Named(kind, opts.get(key).asText())) : Optional.empty();
        }
    }

    /** A device or backend as a command line names it: its kind and its id (or node name). */
    record Named(String kind, String name) {
    }

    /**
     * QEMU's options without an argument (qemu-options.hx entries without HAS_ARG): 7.2's, and those QEMU 8-10 added
     * (a QEMU of a newer release runs here once it has replaced one).
     */
    private static final Set<String> FLAGS = Set.of("h", "help", "version", "mem-prealloc", "audio-help", "snapshot",
            "usb", "nographic", "portrait", "full-screen", "alt-grab", "ctrl-grab", "no-quit", "sdl", "curses",
            "win2k-hack", "no-fd-bootchk", "no-acpi", "no-hpet", "singlestep", "preconfig", "S", "s", "enable-kvm",
            "xen-attach", "xen-domid-restrict", "no-reboot", "no-shutdown", "daemonize", "semihosting",
            "only-migratable", "nodefaults", "no-user-config", "enable-sync-profile", "enable-fips", "async-teardown",
            "perfmap", "jitdump");

    public QemuArgs {
        options = List.copyOf(options);
    }

    public static QemuArgs ofProcess(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        String text;
        try {
            text = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the command line of pid " + pid + ": " + e.getMessage(), e);
        }
        Path directory;
        try {
            directory = Files.readSymbolicLink(proc.resolve("cwd"));
        } catch (IOException | UnsupportedOperationException e) {
            directory = null;   // another user's process: its relative paths then name files where we run
        }
        return parse(Arrays.asList(text.substring(0, Math.max(0, text.length() - 1)).split("\0", -1)), directory);
    }

    /** {@code path} as the process reads it: relative ones in its directory. */
    Path resolve(String path) {
        return directory == null ? Path.of(path) : directory.resolve(path);
    }

    static QemuArgs parse(List<String> argv, Path directory) {
        List<Option> options = new ArrayList<>();
        for (int i = 1; i < argv.size(); i++) {
            String word = argv.get(i);
            if (!word.startsWith("-")) {
                // QEMU reads a lone word as the disk image (-hda)
                options.add(new Option("hda", word));
                continue;
            }
            String name = word.substring(word.startsWith("--") ? 2 : 1);
            if (FLAGS.contains(name)) {
                options.add(new Option(name, null));
            } else if (i + 1 < argv.size()) {
                options.add(new Option(name, argv.get(++i)));
            } else {
                throw new IllegalArgumentException("QEMU option " + word + " lacks its value in " + argv);
            }
        }
        return new QemuArgs(argv.get(0), options, directory);
    }

    /**
     * The monitors the command line made, by chardev label: whether each speaks QMP (control mode), which programs
     * manage QEMU through, where a human monitor's client is a person. {@code -qmp} and {@code -monitor} number
     * their chardevs compat_monitorN in order, as QEMU's monitor_parse does; {@code -mon chardev=ID} names one.
     */
    public Map<String, Boolean> monitors() {
        Map<String, Boolean> monitors = new HashMap<>();
        int compat = 0;
        for (Option o : options) {
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

    /**
     * The unix sockets QEMU listens on for QMP, as it sees them from its directory: {@code -qmp unix:PATH,server...}
     * and the {@code -chardev socket,path=PATH,server=on} of a control-mode {@code -mon} (a replacement's new QEMU
     * bound them under a standby's name, renamed since: {@link SocketMove}).
     */
    public List<Path> qmpSockets() {
        Map<String, Boolean> monitors = monitors();
        List<Path> sockets = new ArrayList<>();
        for (Option o : options) {
            if (o.value() == null) {
                continue;
            }
            if ((o.name().equals("qmp") || o.name().equals("qmp-pretty")) && o.value().startsWith("unix:")) {
                ObjectNode unix = QemuOpts.read(o.value().substring(5), "path");
                if (QemuOpts.isOn(unix, "server")) {
                    sockets.add(SocketMove.named(resolve(unix.path("path").asText())));
                }
            } else if (o.name().equals("chardev")) {
                ObjectNode chardev = QemuOpts.read(o.value(), "backend");
                if (monitors.getOrDefault(chardev.path("id").asText(""), false)
                        && chardev.path("backend").asText("").equals("socket") && chardev.has("path")
                        && QemuOpts.isOn(chardev, "server")) {
                    sockets.add(SocketMove.named(resolve(chardev.path("path").asText())));
                }
            }
        }
        return sockets;
    }

    /** The VM's name: {@code -name NAME} or {@code -name guest=NAME,...}; empty without one. */
    public String vmName() {
        return options.stream().filter(o -> o.name().equals("name") && o.value() != null).findFirst()
                .map(o -> QemuOpts.read(o.value(), "guest").path("guest").asText("")).orElse("");
    }

    List<String> argv() {
        List<String> argv = new ArrayList<>(List.of(binary));
        options.forEach(o -> argv.addAll(o.words()));
        return argv;
    }
}
