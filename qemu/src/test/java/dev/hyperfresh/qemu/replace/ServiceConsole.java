package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.testing.TestQemu;
import java.nio.file.Path;

/**
 * A console on the machine of a sandboxed systemd, whose QEMUs it can attach to: {@code java ... ServiceConsole
 * QMP_SOCKET [outside-service|check|die-after-commit]} replaces that QEMU (TCG, shared RAM) and prints {@code
 * COMMITTED NEW_PID} and a {@code WARNING} line per warning, or {@code REFUSED} and the reason; with {@code check},
 * pre-flight alone, it prints {@code CHECKED} and the service the new QEMU would take over; with {@code
 * die-after-commit} it halts (status 137, as if killed) once the cutover has committed, leaving the rest to its guard.
 * {@link QemuReplacementTest} runs it.
 */
public final class ServiceConsole {
    private ServiceConsole() {
    }

    public static void main(String[] args) {
        ReplacementOptions options = ReplacementOptions.of(TestQemu.binary(), ReplacementMode.SHARED)
                .withAccelerator(Accelerator.TCG);
        String mode = args.length > 1 ? args[1] : "";
        try (QemuInstance qemu = QemuInstance.attach(Path.of(args[0]))) {
            if (mode.equals("check")) {
                System.out.println("CHECKED " + QemuReplacement.check(qemu, options).takesOverService());
                return;
            }
            ProgressListener dieAfterCommit = p -> {
                if (p.phase().equals(Phase.CUTOVER.word()) && p.percent() == 100) {
                    Runtime.getRuntime().halt(DyingConsole.DIED);
                }
            };
            ReplacementResult r = QemuReplacement.replace(qemu, mode.equals("outside-service")
                    ? options.withOutsideService() : options, mode.equals("die-after-commit") ? dieAfterCommit
                    : ProgressListener.NONE);
            System.out.println("COMMITTED " + r.newPid());
            r.warnings().forEach(w -> System.out.println("WARNING " + w));
        } catch (NotReplaceableException e) {
            System.out.println("REFUSED " + e.getMessage());
        }
    }
}
