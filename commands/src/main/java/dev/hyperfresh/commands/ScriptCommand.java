package dev.hyperfresh.commands;

import dev.hyperfresh.engine.EngineException;
import java.io.File;
import org.springframework.shell.standard.FileValueProvider;
import org.springframework.shell.standard.ShellComponent;
import org.springframework.shell.standard.ShellMethod;
import org.springframework.shell.standard.ShellOption;

/** Runs a batch of commands from a file inside the shell. */
@ShellComponent
public class ScriptCommand {
    private final ScriptRunner runner;

    public ScriptCommand(ScriptRunner runner) {
        this.runner = runner;
    }

    @ShellMethod(key = "script", value = "Run the commands in FILE, one per line, stopping at the first failure.", group = "Scripting")
    public String script(
            @ShellOption(value = "--file", valueProvider = FileValueProvider.class, help = "the script") File file) {
        ScriptRunner.Result result = runner.run(file.toPath());
        if (result.exitCode() != ExitCodes.SUCCESS) {
            throw new EngineException(kindOf(result.exitCode()), "script " + file + " stopped at line "
                    + result.line());
        }
        return "script " + file + " done";
    }

    private static EngineException.Kind kindOf(int exitCode) {
        return switch (exitCode) {
            case ExitCodes.USAGE -> EngineException.Kind.USAGE;
            case ExitCodes.PRECONDITION -> EngineException.Kind.PRECONDITION;
            case ExitCodes.ROLLED_BACK -> EngineException.Kind.ROLLED_BACK;
            default -> EngineException.Kind.FAILED;
        };
    }
}
