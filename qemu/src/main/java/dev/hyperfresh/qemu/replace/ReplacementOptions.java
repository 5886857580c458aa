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
 * for it. {@code acceptCpuStateLoss}: replace even a guest whose CPU state QEMU's migration would not carry
 * ({@link dev.hyperfresh.qemu.UncarriedCpuState}), which pre-flight refuses otherwise. {@code outsideService}:
 * replace even a QEMU in a systemd service's cgroup, the new one then running outside the service, which pre-flight
 * refuses otherwise (see {@link Replaceability}).
 */
public record ReplacementOptions(Path newBinary, ReplacementMode mode, Accelerator accelerator,
                                 MigrationLimits limits, Duration standbyTimeout, Duration migrationTimeout,
                                 boolean qemuResumesItself, boolean acceptCpuStateLoss,
                                 boolean outsideService) {
    public static ReplacementOptions of(Path newBinary, ReplacementMode mode) {
        return new ReplacementOptions(newBinary, mode, Accelerator.KVM, MigrationLimits.LOCAL, Duration.ofSeconds(30),
                Duration.ofMinutes(5), false, false, false);
    }

    public ReplacementOptions withAccelerator(Accelerator a) {
        return new ReplacementOptions(newBinary, mode, a, limits, standbyTimeout, migrationTimeout, qemuResumesItself,
                acceptCpuStateLoss, outsideService);
    }

    public ReplacementOptions withLimits(MigrationLimits l) {
        return new ReplacementOptions(newBinary, mode, accelerator, l, standbyTimeout, migrationTimeout,
                qemuResumesItself, acceptCpuStateLoss, outsideService);
    }

    public ReplacementOptions withTimeouts(Duration standby, Duration migration) {
        return new ReplacementOptions(newBinary, mode, accelerator, limits, standby, migration, qemuResumesItself,
                acceptCpuStateLoss, outsideService);
    }

    /** QEMU's own switch, for reference measurements only (see above). */
    public ReplacementOptions withQemuResumingItself() {
        return new ReplacementOptions(newBinary, mode, accelerator, limits, standbyTimeout, migrationTimeout, true,
                acceptCpuStateLoss, outsideService);
    }

    /** The operator accepts that the guest loses the CPU state QEMU's migration does not carry (see above). */
    public ReplacementOptions withCpuStateLossAccepted() {
        return new ReplacementOptions(newBinary, mode, accelerator, limits, standbyTimeout, migrationTimeout,
                qemuResumesItself, true, outsideService);
    }

    /** The operator accepts that the new QEMU runs outside the systemd service the old one is in (see above). */
    public ReplacementOptions withOutsideService() {
        return new ReplacementOptions(newBinary, mode, accelerator, limits, standbyTimeout, migrationTimeout,
                qemuResumesItself, acceptCpuStateLoss, true);
    }
}
