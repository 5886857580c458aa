package dev.hyperfresh.sys;

import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a short-lived program printed (standard output and error together) and its exit status: a program's
 * {@code --version}, {@code -h}, {@code systemctl show}. Its output goes to a file, not a pipe, so that a program
 * hanging (on a bus, a lock) is waited for no longer than the limit however much it printed, and its input is
 * /dev/null.
 */
public record ProgramOutput(int status, String output) {
    /**
     * Runs {@code argv} to its end, at most {@code limit}.
     *
     * @throws IOException when it cannot start, or does not end within {@code limit} (then killed); its message says
     *                     which, not what was run
     */
    public static ProgramOutput of(List<String> argv, Duration limit) throws IOException {
        Path file = Files.createTempFile("hyperfresh-output", ".txt");
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(file.toFile())
                    .redirectInput(Redirect.from(new File("/dev/null"))).start();
            try {
                if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IOException("it did not end within " + limit.toSeconds() + " s (killed)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for its end", e);
            } finally {
                p.destroyForcibly();
            }
            return new ProgramOutput(p.exitValue(), new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
