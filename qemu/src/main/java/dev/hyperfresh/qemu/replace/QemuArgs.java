package dev.hyperfresh.qemu.replace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * A QEMU command line as options: {@code -name value} pairs and the flags that take no value. QEMU accepts
 * {@code --name} for {@code -name}; this keeps what was written.
 */
record QemuArgs(String binary, List<Option> options) {
    /** One option; {@code value} is null for a flag. */
    record Option(String name, String value) {
        List<String> words() {
            return value == null ? List.of("-" + name) : List.of("-" + name, value);
        }
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
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            String text = new String(raw, StandardCharsets.UTF_8);
            return parse(Arrays.asList(text.substring(0, Math.max(0, text.length() - 1)).split("\0", -1)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the command line of pid " + pid + ": " + e.getMessage(), e);
        }
    }

    static QemuArgs parse(List<String> argv) {
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
        return new QemuArgs(argv.get(0), options);
    }

    List<String> argv() {
        List<String> argv = new ArrayList<>(List.of(binary));
        options.forEach(o -> argv.addAll(o.words()));
        return argv;
    }
}
