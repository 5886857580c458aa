package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.Accelerator;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What a replacement is asked to do: the new QEMU binary, the mode, the accelerator the VM must be running on
 * (checked, never changed), the migration limits, and how long the standby may take to come up and the migration
 * to finish before everything is rolled back.
 */
public record ReplacementOptions(Path newBinary, ReplacementMode mode, Accelerator accelerator,
                                 MigrationLimits limits, Duration standbyTimeout, Duration migrationTimeout) {
    public static ReplacementOptions of(Path newBinary, ReplacementMode mode) {
        return new ReplacementOptions(newBinary, mode, Accelerator.KVM, MigrationLimits.LOCAL, Duration.ofSeconds(30),
                Duration.ofMinutes(5));
    }

    public ReplacementOptions withAccelerator(Accelerator a) {
        return new ReplacementOptions(newBinary, mode, a, limits, standbyTimeout, migrationTimeout);
    }

    public ReplacementOptions withMode(ReplacementMode m) {
        return new ReplacementOptions(newBinary, m, accelerator, limits, standbyTimeout, migrationTimeout);
    }
}
