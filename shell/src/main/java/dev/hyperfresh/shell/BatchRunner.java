package dev.hyperfresh.shell;

import dev.hyperfresh.commands.CommandLine;
import dev.hyperfresh.commands.ErrorReporter;
import dev.hyperfresh.commands.ExitCodes;
import dev.hyperfresh.commands.ScriptRunner;
import dev.hyperfresh.engine.EngineException;
import java.nio.file.Path;
import java.util.List;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.shell.ShellRunner;
import org.springframework.shell.context.InteractionMode;
import org.springframework.shell.context.ShellContext;
import org.springframework.stereotype.Component;

/**
 * The non-interactive ways in: {@code --script FILE} (stops at the first failing line) and one command given as
 * arguments. Either way the outcome becomes the process exit code, and every failure, a line naming no command
 * too, is printed as a command's ({@code ErrorReporter}). With no arguments it leaves the REPL to run.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class BatchRunner implements ShellRunner, ExitCodeGenerator {
    private static final String STANDBY = "standby";
    private final ShellContext context;
    private final ScriptRunner scripts;
    private final CommandLine commandLine;
    private final ErrorReporter errors;
    private volatile int exitCode = ExitCodes.SUCCESS;

    public BatchRunner(ShellContext context, ScriptRunner scripts, CommandLine commandLine, ErrorReporter errors) {
        this.context = context;
        this.scripts = scripts;
        this.commandLine = commandLine;
        this.errors = errors;
    }

    @Override
    public boolean run(String[] args) {
        if (args.length == 0) {
            return false;
        }
        context.setInteractionMode(InteractionMode.NONINTERACTIVE);
        if (args[0].equals("--script")) {
            if (args.length != 2) {
                errors.failed(EngineException.usage("usage: hyperfresh --script FILE"));
                exitCode = ExitCodes.USAGE;
            } else {
                try {
                    exitCode = scripts.run(Path.of(args[1])).exitCode();
                } catch (EngineException unreadable) {
                    errors.failed(unreadable);
                    exitCode = errors.lastExitCode();
                }
            }
            return true;
        }
        List<String> words = List.of(args);
        boolean failed = true;
        if (words.get(0).equals(STANDBY)) {
            // Its standby ends with the console that started it: here, right after this one line.
            commandLine.run(words, () -> errors.failed(EngineException.usage("`standby` starts a standby for the"
                    + " steps after it in the same console, and a one-shot command's console ends with it: run the"
                    + " steps in the REPL (`hyperfresh`) or a script (`hyperfresh --script FILE`), or all of them at"
                    + " once with `replace`")));
        } else {
            failed = scripts.runLine(String.join(" ", words), words, "no command named `" + words.get(0)
                    + "` (`hyperfresh help` lists them)");
        }
        exitCode = failed ? errors.lastExitCode() : ExitCodes.SUCCESS;
        return true;
    }

    @Override
    public int getExitCode() {
        return exitCode;
    }
}
