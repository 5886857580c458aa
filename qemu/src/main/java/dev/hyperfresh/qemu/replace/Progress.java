package dev.hyperfresh.qemu.replace;

/**
 * One step of a replacement as it happens: the phase, how far the migration is (percent of the RAM QEMU has to
 * send; 100 once past it), bytes sent so far and microseconds since the replacement began.
 */
public record Progress(Phase phase, int percent, long bytes, long elapsedUs) {
    public enum Phase {
        /** checking the VM and deriving the new command line */
        PREFLIGHT,
        /** the new QEMU is starting, paused, waiting for the incoming migration */
        STANDBY,
        /** QEMU's migration runs (status from query-migrate) */
        MIGRATING,
        /** the old QEMU has stopped the guest; the new one loads the state and is told to run */
        CUTOVER,
        /** the new QEMU runs the guest and the old one has exited */
        DONE,
        /** something failed: cancelling, killing the standby, resuming the old QEMU */
        ROLLBACK
    }
}
