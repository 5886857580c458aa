package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.sys.ProgramOutput;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a new QEMU binary lists when asked for help ({@code -h}, {@code -machine help}, {@code -cpu help}), before it
 * is started for real: its lines, none where it does not say (it fails, hangs or is a wrapper that does not pass the
 * request on) — it then fails to start the same way, and the replacement rolls back saying why.
 */
final class QemuHelp {
    private static final Duration LIMIT = Duration.ofSeconds(10);

    private QemuHelp() {
    }

    static List<String> lines(Path binary, String... request) {
        List<String> argv = new ArrayList<>(List.of(binary.toString()));
        argv.addAll(List.of(request));
        try {
            ProgramOutput help = ProgramOutput.of(argv, LIMIT);
            return help.status() == 0 ? List.of(help.output().split("\n")) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }
}
