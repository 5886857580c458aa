package dev.hyperfresh.progress;

/**
 * How far a long step has come, as hfvisor's handover events, the engine and the QEMU backend all report it:
 * the phase's name, {@code percent} (-1 while the total is unknown, a standby booting), {@code bytes} the phase
 * has handled so far (0 when it moves no data) and microseconds since the operation began.
 */
public record Progress(String phase, int percent, long bytes, long elapsedUs) {
    public static final int UNKNOWN = -1;
}
