package dev.hyperfresh.shell;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs {@code bin/hyperfresh} as a user would, with its instances in {@code socketDir}. */
final class HyperfreshProcess {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    record Result(int exitCode, String out, String err) {
    }

    private HyperfreshProcess() {
    }

    static Result run(Path socketDir, Duration timeout, String... args) throws IOException, InterruptedException {
        return run(socketDir, timeout, Map.of(), args);
    }

    /** As {@link #run(Path, Duration, String...)}, with {@code env} added to the environment. */
    static Result run(Path socketDir, Duration timeout, Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("bin/hyperfresh").toString()));
        command.addAll(List.of(args));
        return runCommand(socketDir, timeout, env, command.toArray(String[]::new));
    }

    /** Runs {@code command} (one that runs bin/hyperfresh, e.g. under {@code script}) as {@link #run} does. */
    static Result runCommand(Path socketDir, Duration timeout, Map<String, String> env, String... command)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile(socketDir, "out", ".txt");
        Path err = Files.createTempFile(socketDir, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("HYPERFRESH_SOCKET_DIR", socketDir.toString());
        // a JVM starting inside the emulated nested KVM can take minutes
        pb.environment().put("HYPERFRESH_START_TIMEOUT", "600s");
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not end within " + timeout
                    + "; stderr: " + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
