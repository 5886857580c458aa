package dev.hyperfresh.commands;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.shell.command.CommandCatalog;
import org.springframework.shell.command.CommandRegistration;
import org.springframework.stereotype.Component;

/**
 * The command line being run, for what has to be known whether or not its options parse: whether it asked for
 * {@code --json} (a failure then prints one JSON object too) and whether it names a command at all. One-shot and
 * script runs say which line runs; in the REPL it is the line just read.
 */
@Component
public class CommandLine {
    private static final String JSON = "--json";

    private final ObjectProvider<LineReader> repl;
    private final ObjectProvider<CommandCatalog> catalog;
    private volatile List<String> running;

    public CommandLine(ObjectProvider<LineReader> repl, ObjectProvider<CommandCatalog> catalog) {
        this.repl = repl;
        this.catalog = catalog;
    }

    /** Runs {@code line} as the command line being run (a script's line inside a one-shot {@code script}). */
    public <E extends Exception> void run(List<String> words, Line<E> line) throws E {
        List<String> outer = running;
        running = List.copyOf(words);
        try {
            line.run();
        } finally {
            running = outer;
        }
    }

    /** One command line's run. */
    @FunctionalInterface
    public interface Line<E extends Exception> {
        void run() throws E;
    }

    /** Whether the line being run asked for JSON. */
    public boolean json() {
        List<String> words = running;
        if (words == null) {
            LineReader reader = repl.getIfAvailable();
            ParsedLine read = reader == null ? null : reader.getParsedLine();
            words = read == null ? List.of() : read.words();
        }
        return words.contains(JSON);
    }

    /** Whether {@code words} start with a command's name. */
    public boolean names(List<String> words) {
        return command(words).isPresent();
    }

    /**
     * The command {@code words} start with, the longest name that fits (the catalog is looked up when used: it
     * holds us).
     */
    public Optional<CommandRegistration> command(List<String> words) {
        String line = String.join(" ", words);
        return catalog.getObject().getRegistrations().entrySet().stream()
                .filter(e -> line.equals(e.getKey()) || line.startsWith(e.getKey() + " "))
                .max(Comparator.comparingInt(e -> e.getKey().length())).map(Map.Entry::getValue);
    }
}
