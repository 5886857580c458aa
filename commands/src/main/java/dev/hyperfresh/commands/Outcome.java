package dev.hyperfresh.commands;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.engine.EngineException;
import dev.hyperfresh.engine.VmsOn;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.springframework.shell.command.CommandExecution.CommandParserExceptionsException;
import org.springframework.shell.command.CommandParser.CommandParserException;

/**
 * What one command came to, the one place where a result or any failure becomes what hyperfresh prints: the
 * outcome word, the exit code, the sentence on stderr and, under {@code --json}, the one JSON object on stdout
 * (man hyperfresh, EXIT STATUS and JSON OUTPUT). The engine states the facts (an {@link EngineException}'s kind
 * and who runs the VMs); this only renders them. {@code reason} is null on success; {@code vmsOn} null when no
 * instance's VMs are concerned or nobody can tell.
 */
public record Outcome(String word, int exitCode, String reason, VmsOn vmsOn) {
    /** The word of a command that did what it was asked and moved no VM. */
    public static final String OK = "ok";

    static Outcome ok() {
        return new Outcome(OK, ExitCodes.SUCCESS, null, null);
    }

    /** A replacement that committed and checked out: the VMs run on {@code vmsOn}. */
    static Outcome committed(VmsOn vmsOn) {
        return new Outcome(EngineException.Kind.COMMITTED.word(), ExitCodes.SUCCESS, null, vmsOn);
    }

    /** Any failure: the engine's kinds as they are, a malformed command line as usage, anything else as failed. */
    static Outcome of(Exception e) {
        if (e instanceof EngineException ee) {
            return new Outcome(ee.kind().word(), ExitCodes.of(ee.kind()), ee.getMessage(), ee.vmsOn());
        }
        String usage = EngineException.Kind.USAGE.word();
        if (e instanceof CommandParserExceptionsException parse) {
            return new Outcome(usage, ExitCodes.USAGE, String.join("; ", parse.getParserExceptions().stream()
                    .map(CommandParserException::getMessage).map(Outcome::plainly).toList()), null);
        }
        if (e instanceof IllegalArgumentException) {
            return new Outcome(usage, ExitCodes.USAGE, e.getMessage(), null);
        }
        return new Outcome(EngineException.Kind.FAILED.word(), ExitCodes.FAILURE,
                e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName(), null);
    }

    /** Spring's "Illegal option value 'x', reason 'Failed to convert ... to type [T] ...'" for a value. */
    private static final Pattern NOT_CONVERTED = Pattern.compile("Illegal option value '(.*)', reason 'Failed to convert"
            + " from type \\[java\\.lang\\.String] to type \\[([\\w.$]+)].*");

    /** A value that is not what its option takes, said as what it takes, not as the Java type it failed to become. */
    static String plainly(String message) {
        Matcher m = NOT_CONVERTED.matcher(message);
        if (!m.matches()) {
            return message;
        }
        String value = "'" + m.group(1) + "'";
        return switch (m.group(2)) {
            case "int", "long", "java.lang.Integer", "java.lang.Long" -> value + " is not a whole number";
            case "double", "float", "java.lang.Double", "java.lang.Float" -> value + " is not a number";
            default -> {
                try {
                    Object[] choices = Class.forName(m.group(2)).getEnumConstants();
                    yield choices == null ? message : value + " is not one of: "
                            + Arrays.stream(choices).map(Object::toString).collect(Collectors.joining(", "));
                } catch (ClassNotFoundException | LinkageError notOurs) {
                    yield message;
                }
            }
        };
    }

    boolean succeeded() {
        return exitCode == ExitCodes.SUCCESS;
    }

    /**
     * The one object: {@code outcome} first, then on failure {@code reason} (the sentence on stderr) and
     * {@code vms_on} (null: see above), then what the command shows ({@code shown}, may be null) — a report of its
     * own keeps its fields but not its own outcome or reason.
     */
    ObjectNode json(ObjectNode shown) {
        ObjectNode out = JsonOutput.object();
        out.put("outcome", word);
        if (!succeeded()) {
            out.put("reason", reason);
        }
        if (!succeeded() || vmsOn != null) {
            out.set("vms_on", vmsOn == null ? out.nullNode() : JsonOutput.tree(vmsOn));
        }
        if (shown != null) {
            ObjectNode fields = shown.deepCopy();
            fields.remove(out.properties().stream().map(Map.Entry::getKey).toList());
            out.setAll(fields);
        }
        return out;
    }

    /** {@link #json} as the line printed. */
    String render(ObjectNode shown) {
        return JsonOutput.render(json(shown));
    }
}
