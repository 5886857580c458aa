package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A QEMU command line as options: {@code -name value} pairs and the flags that take no value. QEMU accepts
 * {@code --name} for {@code -name}; this keeps what was written. {@code directory} is the one its relative paths
 * name files in (the process's working directory), null where unknown.
 */
record QemuArgs(String binary, List<Option> options, Path directory) {
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

    /** QEMU 7.2's options without an argument (qemu-options.hx entries without HAS_ARG). */
    private static final Set<String> FLAGS = Set.of("h", "help", "version", "mem-prealloc", "audio-help", "snapshot",
            "usb", "nographic", "portrait", "full-screen", "alt-grab", "ctrl-grab", "no-quit", "sdl", "curses",
            "win2k-hack", "no-fd-bootchk", "no-acpi", "no-hpet", "singlestep", "preconfig", "S", "s", "enable-kvm",
            "xen-attach", "xen-domid-restrict", "no-reboot", "no-shutdown", "daemonize", "semihosting",
            "only-migratable", "nodefaults", "no-user-config", "enable-sync-profile", "enable-fips", "async-teardown");

    QemuArgs {
        options = List.copyOf(options);
    }

    static QemuArgs ofProcess(long pid) {
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

    List<String> argv() {
        List<String> argv = new ArrayList<>(List.of(binary));
        options.forEach(o -> argv.addAll(o.words()));
        return argv;
    }
}
