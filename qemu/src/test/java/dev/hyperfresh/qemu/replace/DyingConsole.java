package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.sys.Sys;
import java.nio.file.Path;

/**
 * A console that dies in the middle of a copy-mode replacement, as one killed by the OOM killer or a kill -9 would:
 * {@code java ... DyingConsole QMP_SOCKET QEMU_BINARY kill|stop} halts with status 137 at the migration's first
 * progress report (the migration held to 4 MiB/s, so it is still going), or stops itself there (SIGSTOP, as Ctrl-Z
 * would). {@link QemuGuardTest} runs it.
 */
public final class DyingConsole {
    static final int DIED = 137;
    private static final int SIGSTOP = 19;

    private DyingConsole() {
    }

    public static void main(String[] args) {
        ReplacementOptions options = ReplacementOptions.of(Path.of(args[1]), ReplacementMode.COPY)
                .withAccelerator(Accelerator.TCG).withLimits(new MigrationLimits(4L << 20, 300));
        QemuReplacement.replace(QemuInstance.attach(Path.of(args[0])), options, p -> {
            if (p.phase().equals(Phase.MIGRATING.word()) && p.bytes() > 0) {
                System.out.println(args[2] + " at " + p.bytes() + " bytes migrated");
                System.out.flush();
                if (args[2].equals("stop")) {
                    Sys.C.kill(Sys.C.getpid(), SIGSTOP);
                }
                Runtime.getRuntime().halt(DIED);
            }
        });
        System.exit(1); // the migration ended before the first progress report: nothing was tested
    }
}
