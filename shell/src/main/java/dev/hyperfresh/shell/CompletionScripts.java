package dev.hyperfresh.shell;

import dev.hyperfresh.shell.CommandModel.Command;
import dev.hyperfresh.shell.CommandModel.Kind;
import dev.hyperfresh.shell.CommandModel.Option;
import java.util.stream.Collectors;

/**
 * bash and zsh completion for hyperfresh, generated from the command model. Instance names come from the socket
 * directory's file names, so completing never starts a JVM: hfvisor's control sockets ({@code NAME.sock}) and the
 * QMP sockets of QEMUs ({@code NAME.qmp}), as the console lists them.
 */
final class CompletionScripts {
    private static final String SOCKET_DIR =
            "${HYPERFRESH_SOCKET_DIR:-${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/hyperfresh}}";

    private CompletionScripts() {
    }

    static String bash(CommandModel model) {
        StringBuilder s = new StringBuilder("""
                # bash completion for hyperfresh. Generated from its command model by `hyperfresh completion bash`;
                # do not edit. Install: source it, or copy it to /etc/bash_completion.d/hyperfresh.
                _hyperfresh_instances() {
                    local dir=%s f
                    for f in "${dir:-/run/hyperfresh}"/*.sock "${dir:-/run/hyperfresh}"/*.qmp; do
                        [[ -e $f ]] && f=${f##*/} && echo "${f%%.*}"
                    done
                }
                _hyperfresh() {
                    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
                    COMPREPLY=()
                    if (( COMP_CWORD == 1 )); then
                        COMPREPLY=($(compgen -W "%s --script --debug" -- "$cur"))
                        return
                    fi
                    local options= positional=
                    case ${COMP_WORDS[1]} in
                        --script) COMPREPLY=($(compgen -f -- "$cur")); return ;;
                """.formatted(SOCKET_DIR, model.commands().stream().map(Command::name)
                .filter(n -> !n.contains(" ")).collect(Collectors.joining(" "))));
        for (Command c : model.commands()) {
            s.append("        ").append(bashPattern(c.name())).append(")\n");
            s.append("            options=\"").append(c.options().stream().map(o -> "--" + o.name())
                    .collect(Collectors.joining(" "))).append("\"\n");
            Option positional = c.positional();
            if (positional != null) {
                s.append("            positional=").append(positional.name()).append('\n');
            }
            s.append("            case $prev in\n");
            for (Option o : c.options()) {
                if (o.kind() != Kind.FLAG) {
                    s.append("                --").append(o.name()).append(") _hyperfresh_value ")
                            .append(bashValue(o)).append("; return ;;\n");
                }
            }
            s.append("            esac ;;\n");
        }
        s.append("""
                    esac
                    if [[ $cur == -* || -z $positional ]]; then
                        COMPREPLY=($(compgen -W "$options" -- "$cur"))
                    else
                        case $positional in
                """);
        model.commands().stream().map(Command::positional).filter(o -> o != null)
                .collect(Collectors.toMap(Option::name, o -> o, (a, b) -> a, java.util.TreeMap::new))
                .values().forEach(o -> s.append("            ").append(o.name()).append(") _hyperfresh_value ")
                        .append(bashValue(o)).append(" ;;\n"));
        s.append("""
                        esac
                    fi
                }
                _hyperfresh_value() {
                    case $1 in
                        instance) COMPREPLY=($(compgen -W "$(_hyperfresh_instances)" -- "$cur")) ;;
                        file) COMPREPLY=($(compgen -f -- "$cur")) ;;
                        choice) COMPREPLY=($(compgen -W "$2" -- "$cur")) ;;
                        *) COMPREPLY=() ;;
                    esac
                }
                complete -F _hyperfresh hyperfresh
                """);
        return s.toString();
    }

    private static String bashPattern(String command) {
        return command.contains(" ") ? "'" + command.substring(0, command.indexOf(' ')) + "'" : command;
    }

    private static String bashValue(Option o) {
        return switch (o.kind()) {
            case INSTANCE -> "instance";
            case FILE -> "file";
            case CHOICE -> "choice \"" + String.join(" ", o.values()) + "\"";
            default -> "value";
        };
    }

    static String zsh(CommandModel model) {
        StringBuilder s = new StringBuilder("""
                #compdef hyperfresh
                # zsh completion for hyperfresh. Generated from its command model by `hyperfresh completion zsh`;
                # do not edit. Install: copy it as _hyperfresh into a directory of $fpath.
                _hyperfresh_instances() {
                    local dir=%s
                    local -aU names
                    names=("${dir:-/run/hyperfresh}"/*.(sock|qmp)(N:t:r))
                    compadd -a names
                }
                _hyperfresh() {
                    local -a commands
                    commands=(
                """.formatted(SOCKET_DIR));
        for (Command c : model.commands()) {
            if (!c.name().contains(" ")) {
                s.append("        '").append(c.name()).append(':').append(zshText(c.description())).append("'\n");
            }
        }
        s.append("""
                    )
                    if (( CURRENT == 2 )); then
                        _describe 'command' commands
                        _arguments '--script[run a batch file]:file:_files' '--debug[show stack traces]'
                        return
                    fi
                    local command=$words[2]
                    shift words
                    (( CURRENT-- ))
                    case $command in
                """);
        for (Command c : model.commands()) {
            if (c.name().contains(" ")) {
                continue;
            }
            s.append("        ").append(c.name()).append(") _arguments");
            Option positional = c.positional();
            if (positional != null) {
                s.append(" '1:").append(positional.name()).append(':').append(zshAction(positional)).append('\'');
            }
            for (Option o : c.options()) {
                s.append(" '--").append(o.name()).append('[').append(zshText(o.description())).append(']');
                if (o.kind() != Kind.FLAG) {
                    s.append(':').append(o.name()).append(':').append(zshAction(o));
                }
                s.append('\'');
            }
            s.append(" ;;\n");
        }
        s.append("""
                    esac
                }
                _hyperfresh "$@"
                """);
        return s.toString();
    }

    private static String zshAction(Option o) {
        return switch (o.kind()) {
            case INSTANCE -> "_hyperfresh_instances";
            case FILE -> "_files";
            case CHOICE -> "(" + String.join(" ", o.values()) + ")";
            default -> " ";
        };
    }

    private static String zshText(String text) {
        return text.replace('[', '(').replace(']', ')').replace(":", " -").replace("'", "").replace("`", "");
    }
}
