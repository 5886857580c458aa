package dev.hyperfresh.engine;

/**
 * How far a long step has come. {@code percent} is -1 while the total is unknown (a standby booting);
 * {@code bytes} is what the phase has handled so far, 0 when it moves no data.
 */
public record Progress(String phase, int percent, long bytes, long elapsedUs) {
    public static final int UNKNOWN = -1;
}
