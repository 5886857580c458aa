package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Options a QEMU release removed in favour of others, written as the new QEMU takes them, so that a command line
 * the old release was started with starts the new one: {@code -no-acpi}, {@code -no-hpet} (now machine
 * properties) and {@code -runas}, {@code -chroot}, {@code -async-teardown} (now {@code -run-with}), all gone by QEMU
 * 10 — and back, {@code -run-with} taken apart for a release without it. Only where the new QEMU lacks the option,
 * as its {@code -h} lists them; a new QEMU that cannot say (a wrapper) gets the command line as it is.
 */
final class RenamedOptions {
    /** The options that became properties of {@code -machine}, and the property each became. */
    private static final Map<String, String> MACHINE_FLAGS = Map.of("no-acpi", "acpi", "no-hpet", "hpet");
    /** The options that became properties of {@code -run-with}, and the property each became. */
    private static final Map<String, String> RUN_WITH = Map.of("runas", "user", "chroot", "chroot",
            "async-teardown", "async-teardown");
    private static final String RUN_WITH_OPTION = "run-with";

    private RenamedOptions() {
    }

    /** {@code running} as QEMU {@code newBinary} takes it. */
    static QemuArgs forBinary(QemuArgs running, Path newBinary) {
        boolean renamed = running.options().stream().anyMatch(o -> MACHINE_FLAGS.containsKey(o.name())
                || RUN_WITH.containsKey(o.name()) || o.name().equals(RUN_WITH_OPTION));
        return renamed ? forOptions(running, optionsOf(newBinary)) : running;
    }

    /** {@code running} for a QEMU whose options are {@code known} (empty: not known, nothing rewritten). */
    static QemuArgs forOptions(QemuArgs running, Set<String> known) {
        if (known.isEmpty()) {
            return running;
        }
        List<QemuArgs.Option> options = new ArrayList<>();
        ObjectNode runWith = JsonNodeFactory.instance.objectNode();
        int runWithAt = -1;
        for (QemuArgs.Option o : running.options()) {
            String name = o.name();
            if (MACHINE_FLAGS.containsKey(name) && !known.contains(name)) {
                options.add(new QemuArgs.Option("machine", MACHINE_FLAGS.get(name) + "=off"));
            } else if (RUN_WITH.containsKey(name) && !known.contains(name) && known.contains(RUN_WITH_OPTION)) {
                runWith.put(RUN_WITH.get(name), o.value() == null ? "on" : o.value());
                runWithAt = runWithAt < 0 ? options.size() : runWithAt;
            } else if (name.equals(RUN_WITH_OPTION) && !known.contains(name)) {
                QemuOpts.parse(o.value(), null).properties().forEach(p -> options.add(apart(p.getKey(),
                        p.getValue().asText())));
            } else {
                options.add(o);
            }
        }
        if (runWithAt >= 0) {
            options.add(runWithAt, new QemuArgs.Option(RUN_WITH_OPTION, QemuOpts.format(runWith, null)));
        }
        return new QemuArgs(running.binary(), options, running.directory());
    }

    /** A property of {@code -run-with} as the option it was before. */
    private static QemuArgs.Option apart(String property, String value) {
        String option = RUN_WITH.entrySet().stream().filter(e -> e.getValue().equals(property)).map(Map.Entry::getKey)
                .findFirst().orElseThrow(() -> new NotReplaceableException("the new QEMU has no -run-with, and no"
                        + " option of its own for its " + property + "=" + value));
        return option.equals("async-teardown") ? new QemuArgs.Option(option, null) : new QemuArgs.Option(option, value);
    }

    /** The options {@code binary -h} lists, without their dash; empty where it does not say. */
    static Set<String> optionsOf(Path binary) {
        Set<String> options = new HashSet<>();
        for (String line : QemuHelp.lines(binary, "-h")) {
            if (line.startsWith("-") && line.length() > 1) {
                options.add(line.substring(1).split("[ \\t]", 2)[0]);
            }
        }
        return options;
    }
}
