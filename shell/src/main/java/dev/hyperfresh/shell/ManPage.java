package dev.hyperfresh.shell;

import dev.hyperfresh.shell.CommandModel.Command;
import dev.hyperfresh.shell.CommandModel.Kind;
import dev.hyperfresh.shell.CommandModel.Option;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** hyperfresh(1): the written parts from docs/hyperfresh.1.in, the COMMANDS section from the command model. */
final class ManPage {
    private ManPage() {
    }

    static String render(CommandModel model) {
        StringBuilder commands = new StringBuilder();
        for (Command c : model.commands()) {
            commands.append(".SS ").append(roff(c.name())).append('\n').append(roff(c.description())).append('\n');
            for (Option o : c.options()) {
                commands.append(o.kind() == Kind.FLAG ? ".TP\n.B \\-\\-" : ".TP\n.BI \\-\\-")
                        .append(roff(o.name()));
                if (o.kind() != Kind.FLAG) {
                    commands.append(" \" ").append(o.kind() == Kind.CHOICE ? String.join("|", o.values())
                            : o.name().toUpperCase()).append('"');
                }
                commands.append('\n').append(roff(o.description()));
                if (o.defaultValue() != null && o.kind() != Kind.FLAG) {
                    commands.append(" (default: ").append(roff(o.defaultValue())).append(')');
                }
                commands.append('\n');
            }
        }
        return template().replace("@COMMANDS@\n", commands.toString());
    }

    /** Text safe in a roff line: backslashes and hyphens escaped, no line starting as a request. */
    private static String roff(String text) {
        String escaped = text.replace("\\", "\\e").replace("-", "\\-");
        return escaped.startsWith(".") || escaped.startsWith("'") ? "\\&" + escaped : escaped;
    }

    private static String template() {
        try (InputStream in = ManPage.class.getResourceAsStream("/docs/hyperfresh.1.in")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
