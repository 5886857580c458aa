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
import org.springframework.shell.Input;
import org.springframework.shell.Shell;
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
    private final Shell shell;
    private final ShellContext context;
    private final ScriptRunner scripts;
    private final CommandLine commandLine;
    private final ErrorReporter errors;
    private volatile int exitCode = ExitCodes.SUCCESS;

    public BatchRunner(Shell shell, ShellContext context, ScriptRunner scripts, CommandLine commandLine,
                       ErrorReporter errors) {
        this.shell = shell;
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
                exitCode = scripts.run(Path.of(args[1])).exitCode();
            }
            return true;
        }
        long failuresBefore = errors.failures();
        List<String> words = List.of(args);
        commandLine.run(words, () -> {
            if (!commandLine.names(words)) {
                errors.failed(EngineException.usage("no command named `" + words.get(0) + "` (`hyperfresh help`"
                        + " lists them)"));
                return;
            }
            if (words.get(0).equals(STANDBY)) {
                // Its standby ends with the console that started it: here, right after this one line.
                errors.failed(EngineException.usage("`standby` starts a standby for the steps after it in the same"
                        + " console, and a one-shot command's console ends with it: run the steps in the REPL"
                        + " (`hyperfresh`) or a script (`hyperfresh --script FILE`), or all of them at once with"
                        + " `replace`"));
                return;
            }
            try {
                shell.run(new OneShot(words));
            } catch (Exception e) {
                // a one-shot shell rethrows what its resolver already reported; anything else is new
                if (errors.failures() == failuresBefore) {
                    errors.failed(e);
                }
            }
        });
        exitCode = errors.failures() > failuresBefore ? errors.lastExitCode() : ExitCodes.SUCCESS;
        return true;
    }

    @Override
    public int getExitCode() {
        return exitCode;
    }

    private static final class OneShot implements org.springframework.shell.InputProvider {
        private final List<String> words;
        private boolean given;

        OneShot(List<String> words) {
            this.words = words;
        }

        @Override
        public Input readInput() {
            if (given) {
                return null;
            }
            given = true;
            return new Input() {
                @Override
                public String rawText() {
                    return String.join(" ", words);
                }

                @Override
                public List<String> words() {
                    return words;
                }
            };
        }
    }
}
