package dev.hyperfresh.shell;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data archives the build makes (bin/lib/archive-classes) are what bin/hyperfresh and bin/hfvisor start
 * with, and an archive that does not fit — the jars changed since, or the file is not an archive — changes nothing
 * a script sees: same output, empty stderr, exit 0, only a slower start.
 */
class ClassDataSharingTest {
    private static final Path ROOT = HyperfreshProcess.ROOT;
    private static final String SHARED = "source: shared objects file";

    @TempDir
    Path dir;

    record Run(int exitCode, String out, String err, String classLoads) {
    }

    /** {@code launcher} with the class loading logged; {@code javaOptsVar} carries the launcher's JVM options. */
    private Run run(Path launcher, String javaOptsVar, String defaultOpts, String... args) throws Exception {
        Path classLoads = dir.resolve("classes-" + System.nanoTime() + ".log");
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        ProcessBuilder pb = new ProcessBuilder(concat(launcher.toString(), args)).redirectOutput(out.toFile())
                .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.put("HYPERFRESH_SOCKET_DIR", Files.createDirectories(dir.resolve("sockets")).toString());
        env.put(javaOptsVar, defaultOpts + " -Xlog:class+load=info:file=" + classLoads);
        env.remove("HYPERFRESH_CDS");
        Process p = pb.start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("%s ended", launcher).isTrue();
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8), Files.readString(classLoads));
    }

    private Run hyperfresh(Path root, String... args) throws Exception {
        return run(root.resolve("bin/hyperfresh"), "HYPERFRESH_JAVA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
                args);
    }

    private static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    @Test
    void bothLaunchersStartFromTheirArchive() throws Exception {
        assertThat(ROOT.resolve("shell/target/hyperfresh.jsa")).as("the build's archive for bin/hyperfresh").exists();
        assertThat(ROOT.resolve("vmm/target/hyperfresh-vmm.jsa")).as("the build's archive for bin/hfvisor").exists();

        Run list = hyperfresh(ROOT, "list", "--json");
        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).isEqualTo("{\"outcome\":\"ok\",\"instances\":[]}\n");
        assertThat(list.err()).isEmpty();
        assertThat(list.classLoads()).contains("dev.hyperfresh.shell.Main " + SHARED)
                .contains("dev.hyperfresh.commands.InstanceCommands " + SHARED);

        Run history = hyperfresh(ROOT, "history", "--json");   // through the shell (DirectCommands takes list)
        assertThat(history.exitCode()).isZero();
        assertThat(history.classLoads()).contains("dev.hyperfresh.shell.HyperfreshApplication " + SHARED)
                .contains("org.springframework.boot.SpringApplication " + SHARED);

        Run version = run(ROOT.resolve("bin/hfvisor"), "HFVISOR_JAVA_OPTS", "-XX:+UseZGC -Xms16m "
                + "-XX:TieredStopAtLevel=1 -XX:CompileCommandFile=" + ROOT.resolve("bin/lib/hfvisor-jit"), "--version");
        assertThat(version.exitCode()).isZero();
        assertThat(version.classLoads()).contains("dev.hyperfresh.vmm.cli.HfvisorMain " + SHARED);
    }

    /**
     * A copy of the launcher and its jar next to the real one's dependencies: the build's archive no longer fits
     * that jar (another path, another modification time), as after a rebuild whose training failed; then an archive
     * file that is not an archive at all.
     */
    @Test
    void anArchiveThatDoesNotFitIsIgnoredSilently() throws Exception {
        Run plain = hyperfresh(ROOT, "list", "--json");
        Path copy = dir.resolve("checkout");
        Files.createDirectories(copy.resolve("bin/lib"));
        Files.createDirectories(copy.resolve("shell/target"));
        for (String script : List.of("bin/hyperfresh", "bin/lib/java-app")) {
            Files.copy(ROOT.resolve(script), copy.resolve(script), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Files.copy(ROOT.resolve("shell/target/hyperfresh.jar"), copy.resolve("shell/target/hyperfresh.jar"));
        Files.createSymbolicLink(copy.resolve("shell/target/lib"), ROOT.resolve("shell/target/lib"));
        Path archive = copy.resolve("shell/target/hyperfresh.jsa");

        Files.copy(ROOT.resolve("shell/target/hyperfresh.jsa"), archive);
        assertSameAsPlainWithoutArchive(hyperfresh(copy, "list", "--json"), plain);

        Files.delete(archive);
        Files.write(archive, garbage());
        assertSameAsPlainWithoutArchive(hyperfresh(copy, "list", "--json"), plain);
        // the link, not the build's lib/ it points to
        Files.delete(copy.resolve("shell/target/lib"));
    }

    private static void assertSameAsPlainWithoutArchive(Run run, Run plain) {
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo(plain.out());
        assertThat(run.err()).isEmpty();
        assertThat(run.classLoads()).doesNotContain("dev.hyperfresh.shell.Main " + SHARED);
    }

    private static byte[] garbage() throws IOException {
        byte[] bytes = new byte[1 << 20];
        new java.util.Random(13).nextBytes(bytes);
        return bytes;
    }
}
