package dev.hyperfresh.shell;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.shell.command.CommandCatalog;
import org.springframework.shell.standard.ShellComponent;
import org.springframework.shell.standard.ShellMethod;
import org.springframework.shell.standard.ShellOption;

/** Prints the bash or zsh completion script for hyperfresh, generated from the commands themselves. */
@ShellComponent
public class CompletionCommand {
    // the catalog holds this command, so it is looked up when used
    private final ObjectProvider<CommandCatalog> catalog;

    public CompletionCommand(ObjectProvider<CommandCatalog> catalog) {
        this.catalog = catalog;
    }

    /** The shells {@code completion} writes for. */
    public enum TargetShell {
        bash, zsh
    }

    @ShellMethod(key = "completion", value = "Print the bash or zsh completion script for hyperfresh.", group = "Scripting")
    public String completion(
            @ShellOption(value = "--shell", arity = 1, help = "bash or zsh") TargetShell shell) {
        CommandModel model = CommandModel.of(catalog.getObject());
        return (shell == TargetShell.bash ? CompletionScripts.bash(model) : CompletionScripts.zsh(model))
                .stripTrailing();
    }
}
