package dev.hyperfresh.commands;

import dev.hyperfresh.engine.EngineException;
import dev.hyperfresh.sys.IoFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jline.reader.impl.DefaultParser;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.shell.Input;
import org.springframework.shell.Shell;
import org.springframework.stereotype.Component;

/**
 * Runs a file of commands, one per line ({@code #} starts a comment), through the shell, stopping at the first
 * line that fails. Each line prints as a one-shot command would: under {@code --json} its one object, the failing
 * line's too. Used by {@code script} and {@code hyperfresh --script FILE}.
 */
@Component
public class ScriptRunner {
    private final ObjectProvider<Shell> shell;
    private final CommandLine commandLine;
    private final ErrorReporter errors;
    private final Renderer renderer;
    private final PositionalWords positional;

    public ScriptRunner(ObjectProvider<Shell> shell, CommandLine commandLine, ErrorReporter errors,
                        Renderer renderer, PositionalWords positional) {
        this.shell = shell;
        this.commandLine = commandLine;
        this.errors = errors;
        this.renderer = renderer;
        this.positional = positional;
    }

    /** The outcome: exit code 0, or the failing line's exit code with its number and text. */
    public record Result(int exitCode, int line, String text) {
    }

    public Result run(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw EngineException.usage("cannot read the script " + file + ": " + IoFailure.reason(e));
        }
        DefaultParser parser = new DefaultParser();
        for (int n = 1; n <= lines.size(); n++) {
            String line = lines.get(n - 1).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            List<String> words = parser.parse(line, line.length()).words().stream().filter(w -> !w.isEmpty())
                    .toList();
            String where = file + ":" + n;
            if (runLine(line, words, where + ": no command named `" + words.get(0) + "`")) {
                renderer.error("hyperfresh: " + where + ": stopped at `" + line + "`");
                return new Result(errors.lastExitCode(), n, line);
            }
        }
        return new Result(ExitCodes.SUCCESS, 0, null);
    }

    /**
     * Runs one command line through the shell, as a script's line or a one-shot command's arguments, and says
     * whether it failed. Every failure is reported once, as a command's (under {@code --json} its object too): a
     * line naming no command as {@code noCommand}, a throw that the shell's resolver has not reported already.
     */
    public boolean runLine(String text, List<String> words, String noCommand) {
        long failuresBefore = errors.failures();
        commandLine.run(words, () -> {
            if (!commandLine.names(words)) {
                errors.failed(EngineException.usage(noCommand));
                return;
            }
            try {
                shell.getObject().run(oneLine(text, positional.first(words)));
            } catch (Exception e) {
                // a one-shot shell rethrows what its resolver already reported; anything else is new
                if (errors.failures() == failuresBefore) {
                    errors.failed(e);
                }
            }
        });
        return errors.failures() > failuresBefore;
    }

    private static org.springframework.shell.InputProvider oneLine(String line, List<String> words) {
        Input input = new Input() {
            @Override
            public String rawText() {
                return line;
            }

            @Override
            public List<String> words() {
                return words;
            }
        };
        boolean[] given = new boolean[1];
        return () -> {
            if (given[0]) {
                return null;
            }
            given[0] = true;
            return input;
        };
    }
}
