package dev.hyperfresh.commands;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.springframework.shell.command.CommandOption;
import org.springframework.shell.command.CommandRegistration;
import org.springframework.stereotype.Component;

/**
 * Puts a command line's positional words (an instance's name) right after the command, ahead of its options.
 * Spring Shell binds a bare word only where no option before it can take it as a value: {@code console --seconds 1
 * web} dropped {@code web} (in the REPL the command then ran on the attached instance), {@code stop --vm b web
 * --json} was refused. Each option's arity in the command catalog tells its values from the positional words.
 */
@Component
public class PositionalWords {
    private final CommandLine commandLine;

    public PositionalWords(CommandLine commandLine) {
        this.commandLine = commandLine;
    }

    /**
     * {@code words} with the command's positional words first, in their order; unchanged if they name no command
     * or an option it does not have (the shell then says which).
     */
    public List<String> first(List<String> words) {
        Optional<CommandRegistration> command = commandLine.command(words);
        if (command.isEmpty()) {
            return words;
        }
        int start = command.get().getCommand().split(" ").length;
        List<String> positional = new ArrayList<>(words.subList(0, start));
        List<String> options = new ArrayList<>();
        for (int i = start; i < words.size(); i++) {
            String word = words.get(i);
            if (!isOption(word)) {
                positional.add(word);
                continue;
            }
            CommandOption option = option(command.get(), word);
            if (option == null) {
                return words;
            }
            options.add(word);
            int values = values(option, words.subList(i + 1, words.size()));
            options.addAll(words.subList(i + 1, i + 1 + values));
            i += values;
        }
        positional.addAll(options);
        return positional;
    }

    private static boolean isOption(String word) {
        return word.startsWith("--") || word.matches("-[A-Za-z]");
    }

    private static CommandOption option(CommandRegistration command, String word) {
        return command.getOptions().stream()
                .filter(o -> word.startsWith("--") ? Arrays.asList(o.getLongNames()).contains(word.substring(2))
                        : Arrays.asList(o.getShortNames()).contains(word.charAt(1)))
                .findFirst().orElse(null);
    }

    /** How many of the words after an option are its values: a flag's only an explicit true or false. */
    private static int values(CommandOption option, List<String> after) {
        Class<?> type = option.getType() == null ? String.class : option.getType().resolve(String.class);
        if (type == boolean.class || type == Boolean.class) {
            return !after.isEmpty() && after.get(0).matches("(?i)true|false") ? 1 : 0;
        }
        int most = Math.max(1, option.getArityMax());
        int taken = 0;
        while (taken < most && taken < after.size() && !isOption(after.get(taken))) {
            taken++;
        }
        return taken;
    }
}
