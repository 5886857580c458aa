package dev.hyperfresh.shell;

import dev.hyperfresh.commands.AcceleratorNames;
import java.io.File;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.springframework.shell.command.CommandCatalog;
import org.springframework.shell.command.CommandOption;
import org.springframework.shell.command.CommandRegistration;

/**
 * The shell's commands and options as the completion scripts and the man page need them, read from Spring
 * Shell's catalog so neither can drift from the commands themselves.
 */
record CommandModel(List<Command> commands) {
    enum Kind {
        /** takes no value */
        FLAG,
        /** an instance name (the socket directory's *.sock and *.qmp files) */
        INSTANCE,
        /** a file path */
        FILE,
        /** one of {@link Option#values} */
        CHOICE,
        /** any other value */
        VALUE
    }

    record Option(String name, String description, Kind kind, List<String> values, String defaultValue) {
    }

    record Command(String name, String description, String group, List<Option> options) {
        /** The option a bare first word fills: hyperfresh binds words to options in declaration order. */
        Option positional() {
            return options.isEmpty() || options.get(0).kind() == Kind.FLAG ? null : options.get(0);
        }
    }

    static CommandModel of(CommandCatalog catalog) {
        return new CommandModel(catalog.getRegistrations().values().stream().filter(r -> !r.isHidden())
                .filter(CommandModel::ours)
                .sorted(Comparator.comparing(CommandRegistration::getCommand))
                .map(r -> new Command(r.getCommand(), r.getDescription(), r.getGroup(),
                        r.getOptions().stream().map(CommandModel::option).toList()))
                .toList());
    }

    /** Spring Shell's own REPL commands (help, clear, quit) come and go with the mode; hyperfresh's are fixed. */
    private static boolean ours(CommandRegistration r) {
        Object bean = r.getTarget().getBean();
        return bean != null && bean.getClass().getName().startsWith("dev.hyperfresh.");
    }

    private static Option option(CommandOption o) {
        Class<?> type = o.getType() == null ? String.class : o.getType().resolve(String.class);
        String name = o.getLongNames()[0];
        Kind kind;
        List<String> values = List.of();
        if (type == boolean.class || type == Boolean.class || name.equals("help")) {
            kind = Kind.FLAG;
        } else if (type.isEnum()) {
            kind = Kind.CHOICE;
            values = Arrays.stream(type.getEnumConstants()).map(Object::toString).toList();
        } else if (type == File.class) {
            kind = Kind.FILE;
        } else if (name.equals("instance")) {
            kind = Kind.INSTANCE;
        } else if (name.equals("accel")) {   // a String the engine parses; its words come from the QEMU backend
            kind = Kind.CHOICE;
            values = AcceleratorNames.WORDS;
        } else {
            kind = Kind.VALUE;
        }
        String fallback = o.getDefaultValue();
        return new Option(name, o.getDescription() == null ? "" : o.getDescription(), kind, values,
                fallback == null || fallback.startsWith("__") ? null : fallback);
    }
}
