# bash completion for hfvisor (source it, or install into /etc/bash_completion.d/)
_hfvisor() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
        --socket-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --name) return ;;
        --fault) COMPREPLY=($(compgen -W "standby-start remap after-adopt pause save after-offer during-restore before-resume after-commit before-reply taken release old-state-reader stall-standby-start stall-remap stall-after-adopt stall-pause stall-save stall-after-offer stall-during-restore stall-before-resume stall-after-commit stall-before-reply stall-taken stall-release" -- "$cur")); return ;;
        --vm)
            local keys="name= mem= cpus= guest=hfguest guest=linux kernel= initrd= disk= disk-ro= net= reboot=restart reboot=poweroff hugepages console=stdout console=none cmdline="
            local head=${cur%,*}
            [[ $head == "$cur" ]] && head="" || head="$head,"
            local last=${cur##*,}
            if [[ $last == net=* ]]; then
                COMPREPLY=($(ls /sys/class/net 2>/dev/null | grep "^${last#net=}" | sed "s|^|${head}net=|"))
            elif [[ $last == kernel=* || $last == initrd=* || $last == disk=* || $last == disk-ro=* ]]; then
                local k=${last%%=*}
                COMPREPLY=($(compgen -f -- "${last#*=}" | sed "s|^|$head$k=|"))
            else
                COMPREPLY=($(compgen -W "$keys" -- "$last" | sed "s|^|$head|"))
            fi
            compopt -o nospace 2>/dev/null
            return ;;
    esac
    COMPREPLY=($(compgen -W "--name --vm --config --standby --socket-dir --fault --version --help" -- "$cur"))
}
complete -F _hfvisor hfvisor
