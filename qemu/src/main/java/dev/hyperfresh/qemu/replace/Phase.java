package dev.hyperfresh.qemu.replace;

import java.util.Locale;

/** The phases a QEMU replacement reports as {@code Progress}, in the order they happen. */
public enum Phase {
    /** checking the VM and deriving the new command line */
    PREFLIGHT,
    /** the new QEMU is starting, paused, waiting for the incoming migration */
    STANDBY,
    /** QEMU's migration runs */
    MIGRATING,
    /** the old QEMU has stopped the guest; the new one loads the state and is told to run */
    CUTOVER,
    /** the new QEMU runs the guest and the old one has exited */
    DONE,
    /** something failed: cancelling, killing the standby, resuming the old QEMU */
    ROLLBACK;

    /** The name progress and the phase timings carry. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
