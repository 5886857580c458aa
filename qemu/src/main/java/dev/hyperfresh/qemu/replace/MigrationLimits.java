package dev.hyperfresh.qemu.replace;

/**
 * The two QEMU migration parameters that shape a migration's speed and blackout, set explicitly on the source for
 * every replacement so that figures say what they were taken with. QEMU's defaults are 128 MiB/s and 300 ms.
 */
public record MigrationLimits(long maxBandwidthBytesPerSecond, long downtimeLimitMs) {
    /** A local unix socket is not the network QEMU's default bandwidth cap protects: allow 10 GiB/s. */
    public static final MigrationLimits LOCAL = new MigrationLimits(10L << 30, 300);
}
