package dev.hyperfresh.shell;

import dev.hyperfresh.commands.ErrorReporter;
import dev.hyperfresh.commands.ExitCodes;
import dev.hyperfresh.commands.ScriptRunner;
import java.nio.file.Path;
import java.util.List;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.shell.Input;
import org.springframework.shell.Shell;
import org.springframework.shell.ShellRunner;
import org.springframework.shell.command.CommandExecution.CommandParserExceptionsException;
import org.springframework.shell.context.InteractionMode;
import org.springframework.shell.context.ShellContext;
import org.springframework.stereotype.Component;

/**
 * The non-interactive ways in: {@code --script FILE} (stops at the first failing line) and one command given as
 * arguments. Either way the outcome becomes the process exit code. With no arguments it leaves the REPL to run.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class BatchRunner implements ShellRunner, ExitCodeGenerator {
    private final Shell shell;
    private final ShellContext context;
    private final ScriptRunner scripts;
    private final ErrorReporter errors;
    private volatile int exitCode = ExitCodes.SUCCESS;

    public BatchRunner(Shell shell, ShellContext context, ScriptRunner scripts, ErrorReporter errors) {
        this.shell = shell;
        this.context = context;
        this.scripts = scripts;
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
                errors.failed(ExitCodes.USAGE, "usage: hyperfresh --script FILE");
                exitCode = ExitCodes.USAGE;
            } else {
                exitCode = scripts.run(Path.of(args[1])).exitCode();
            }
            return true;
        }
        long failuresBefore = errors.failures();
        List<String> words = List.of(args);
        try {
            shell.run(new OneShot(words));
        } catch (Exception e) {
            if (errors.failures() == failuresBefore) {
                // the shell's own handlers already printed it (e.g. "No command found for ...")
                exitCode = isUsage(e) ? ExitCodes.USAGE : ExitCodes.FAILURE;
                return true;
            }
        }
        exitCode = errors.failures() > failuresBefore ? errors.lastExitCode() : ExitCodes.SUCCESS;
        return true;
    }

    private static boolean isUsage(Exception e) {
        return e instanceof CommandParserExceptionsException
                || e instanceof org.springframework.shell.CommandNotFound;
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
