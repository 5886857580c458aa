package dev.hyperfresh.engine;

import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.replace.ReplacementMode;
import java.nio.file.Path;

/**
 * A QEMU replacement as the operator asks for it: {@code newBinary} null for $QEMU or qemu-system-x86_64 on PATH;
 * {@code copy} for an ordinary live migration instead of sharing the RAM; {@code accelerator} the one the VM must
 * be running on (checked, never changed; null: whichever it runs on, as {@code replace --all} takes each QEMU);
 * {@code acceptCpuStateLoss} to replace even a guest whose CPU state QEMU's migration would not carry (refused
 * otherwise); {@code outsideService} to replace even a QEMU in a systemd service's cgroup, the new one then running
 * outside the service (refused otherwise).
 */
public record QemuReplaceRequest(Path newBinary, boolean copy, Accelerator accelerator, boolean acceptCpuStateLoss,
                                 boolean outsideService) {
    public ReplacementMode mode() {
        return copy ? ReplacementMode.COPY : ReplacementMode.SHARED;
    }
}
