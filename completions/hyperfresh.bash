# bash completion for hyperfresh. Generated from its command model by `hyperfresh completion bash`;
# do not edit. Install: source it, or copy it to /etc/bash_completion.d/hyperfresh.
_hyperfresh_instances() {
    local dir=${HYPERFRESH_SOCKET_DIR:-${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/hyperfresh}} f
    for f in "${dir:-/run/hyperfresh}"/*.sock "${dir:-/run/hyperfresh}"/*.qmp; do
        [[ -e $f ]] && f=${f##*/} && echo "${f%.*}"
    done
}
_hyperfresh() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    COMPREPLY=()
    if (( COMP_CWORD == 1 )); then
        COMPREPLY=($(compgen -W "attach completion console cutover demo detach history info launch list pause remap replace reset resume rollback script shutdown snapshot standby stop verify --script --debug" -- "$cur"))
        return
    fi
    local options= positional=
    case ${COMP_WORDS[1]} in
        --script) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        attach)
            options="--instance --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
            esac ;;
        completion)
            options="--shell --help"
            positional=shell
            case $prev in
                --shell) _hyperfresh_value choice "bash zsh"; return ;;
            esac ;;
        console)
            options="--instance --vm --seconds --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
                --vm) _hyperfresh_value value; return ;;
                --seconds) _hyperfresh_value value; return ;;
            esac ;;
        cutover)
            options="--instance --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
            esac ;;
        demo)
            options="--name --mem --cpus --keep --json --help"
            positional=name
            case $prev in
                --name) _hyperfresh_value value; return ;;
                --mem) _hyperfresh_value value; return ;;
                --cpus) _hyperfresh_value value; return ;;
            esac ;;
        detach)
            options="--json --help"
            case $prev in
            esac ;;
        history)
            options="--instance --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
            esac ;;
        info)
            options="--instance --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
            esac ;;
        launch)
            options="--name --vm-name --mem --cpus --guest --kernel --initrd --cmdline --disk --disk-ro --net --reboot --vm --shutdown-timeout --json --help"
            positional=name
            case $prev in
                --name) _hyperfresh_value value; return ;;
                --vm-name) _hyperfresh_value value; return ;;
                --mem) _hyperfresh_value value; return ;;
                --cpus) _hyperfresh_value value; return ;;
                --guest) _hyperfresh_value choice "hfguest linux"; return ;;
                --kernel) _hyperfresh_value value; return ;;
                --initrd) _hyperfresh_value value; return ;;
                --cmdline) _hyperfresh_value value; return ;;
                --disk) _hyperfresh_value value; return ;;
                --disk-ro) _hyperfresh_value value; return ;;
                --net) _hyperfresh_value value; return ;;
                --reboot) _hyperfresh_value choice "restart poweroff"; return ;;
                --vm) _hyperfresh_value value; return ;;
                --shutdown-timeout) _hyperfresh_value value; return ;;
            esac ;;
        list)
            options="--json --help"
            case $prev in
            esac ;;
        pause)
            options="--instance --vm --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
                --vm) _hyperfresh_value value; return ;;
            esac ;;
        remap)
            options="--instance --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
            esac ;;
        replace)
            options="--instance --with --seconds --copy --accel --accept-cpu-state-loss --outside-service --check --all --with-qemu --also-under --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
                --with) _hyperfresh_value file; return ;;
                --seconds) _hyperfresh_value value; return ;;
                --accel) _hyperfresh_value choice "kvm tcg"; return ;;
                --with-qemu) _hyperfresh_value file; return ;;
                --also-under) _hyperfresh_value file; return ;;
            esac ;;
        reset)
            options="--instance --vm --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
                --vm) _hyperfresh_value value; return ;;
            esac ;;
        resume)
            options="--instance --vm --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
                --vm) _hyperfresh_value value; return ;;
            esac ;;
        rollback)
            options="--instance --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
            esac ;;
        script)
            options="--file --help"
            positional=file
            case $prev in
                --file) _hyperfresh_value file; return ;;
            esac ;;
        shutdown)
            options="--instance --vm --wait --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
                --vm) _hyperfresh_value value; return ;;
                --wait) _hyperfresh_value value; return ;;
            esac ;;
        snapshot)
            options="--instance --show --save --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
                --show) _hyperfresh_value choice "summary regs devices"; return ;;
                --save) _hyperfresh_value file; return ;;
            esac ;;
        standby)
            options="--instance --with --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
                --with) _hyperfresh_value file; return ;;
            esac ;;
        stop)
            options="--instance --vm --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
                --vm) _hyperfresh_value value; return ;;
            esac ;;
        verify)
            options="--instance --seconds --json --help"
            positional=instance
            case $prev in
                --instance) _hyperfresh_value instance; return ;;
                --seconds) _hyperfresh_value value; return ;;
            esac ;;
    esac
    if [[ $cur == -* || -z $positional ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
    else
        case $positional in
            file) _hyperfresh_value file ;;
            instance) _hyperfresh_value instance ;;
            name) _hyperfresh_value value ;;
            shell) _hyperfresh_value choice "bash zsh" ;;
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
