package dev.hyperfresh.qemu.replace;

import java.nio.file.Path;

/**
 * A finished replacement. QEMU's own figures (from the source's query-migrate): {@code qemuDowntimeMs} from the
 * guest stopping to the source's end of migration, {@code qemuSetupMs}, {@code qemuTotalMs}. Ours, on
 * CLOCK_MONOTONIC: {@code blackoutUs} from the old QEMU's STOP event to the new one's RESUME event as this process
 * received them (-1 if either event was not seen), and {@code totalUs} for the whole replacement including
 * starting the standby.
 */
public record ReplacementResult(ReplacementMode mode, long oldPid, long newPid, Path qmpSocket, long qemuDowntimeMs,
                                long qemuSetupMs, long qemuTotalMs, long transferredBytes, long blackoutUs,
                                long totalUs) {
}
