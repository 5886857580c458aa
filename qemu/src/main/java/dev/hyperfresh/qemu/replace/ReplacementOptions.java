package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.Accelerator;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What a replacement is asked to do: the new QEMU binary, the mode, the accelerator the VM must be running on
 * (checked, never changed), the migration limits, and how long the standby may take to come up and the migration
 * to finish before everything is rolled back. {@code qemuResumesItself}: the new QEMU starts without -S and runs
 * the guest the moment it has loaded it — QEMU's own switch, with no commit point of ours, so nothing stops both
 * QEMUs running the guest if the source fails late; only the benchmark's {@code qemu-own} reference row asks
 * for it.
 */
public record ReplacementOptions(Path newBinary, ReplacementMode mode, Accelerator accelerator,
                                 MigrationLimits limits, Duration standbyTimeout, Duration migrationTimeout,
                                 boolean qemuResumesItself) {
    public static ReplacementOptions of(Path newBinary, ReplacementMode mode) {
        return new ReplacementOptions(newBinary, mode, Accelerator.KVM, MigrationLimits.LOCAL, Duration.ofSeconds(30),
                Duration.ofMinutes(5), false);
    }

    public ReplacementOptions withAccelerator(Accelerator a) {
        return new ReplacementOptions(newBinary, mode, a, limits, standbyTimeout, migrationTimeout, qemuResumesItself);
    }

    public ReplacementOptions withLimits(MigrationLimits l) {
        return new ReplacementOptions(newBinary, mode, accelerator, l, standbyTimeout, migrationTimeout,
                qemuResumesItself);
    }

    public ReplacementOptions withTimeouts(Duration standby, Duration migration) {
        return new ReplacementOptions(newBinary, mode, accelerator, limits, standby, migration, qemuResumesItself);
    }

    /** QEMU's own switch, for reference measurements only (see above). */
    public ReplacementOptions withQemuResumingItself() {
        return new ReplacementOptions(newBinary, mode, accelerator, limits, standbyTimeout, migrationTimeout, true);
    }
}
