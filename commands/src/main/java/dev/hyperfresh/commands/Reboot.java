package dev.hyperfresh.commands;

/**
 * What a launched VM's guest reboot (its reset) does: the VM boots again, or powers off; one that powers off has
 * nothing to boot again from, so hfvisor refuses it a `reset` too.
 */
public enum Reboot {
    restart, poweroff
}
