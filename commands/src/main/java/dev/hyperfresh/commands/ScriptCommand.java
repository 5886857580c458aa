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
            @ShellOption(value = "--file", valueProvider = FileValueProvider.class, arity = 1, help = "the script") File file) {
        ScriptRunner.Result result = runner.run(file.toPath());
        if (result.exitCode() != ExitCodes.SUCCESS) {
            throw new EngineException(ExitCodes.kind(result.exitCode()), "script " + file + " stopped at line "
                    + result.line());
        }
        return "script " + file + " done";
    }
}
