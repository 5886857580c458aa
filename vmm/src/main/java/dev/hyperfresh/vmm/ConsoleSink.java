package dev.hyperfresh.vmm;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Where a VM's console and guest lines go: stdout (prefixed with the VM name), a file, or nowhere. */
public final class ConsoleSink {
    private final PrintStream out;
    private final String prefix;

    private ConsoleSink(PrintStream out, String prefix) {
        this.out = out;
        this.prefix = prefix;
    }

    public static ConsoleSink open(String where, String vmName) {
        return switch (where) {
            case "stdout" -> new ConsoleSink(System.out, "[" + vmName + "] ");
            case "none" -> new ConsoleSink(null, "");
            default -> {
                try {
                    yield new ConsoleSink(new PrintStream(Files.newOutputStream(Path.of(where),
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND), true), "");
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot open console file " + where, e);
                }
            }
        };
    }

    public void line(String text) {
        if (out != null) {
            out.println(prefix + text);
        }
    }

    /** hfvisor's own word about the VM (how it ended): in its console, or on stderr when it has none. */
    public void notice(String text) {
        if (out != null) {
            line(text);
        } else {
            System.err.println(text);
        }
    }
}
