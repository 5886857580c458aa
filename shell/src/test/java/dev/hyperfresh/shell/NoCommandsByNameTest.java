package dev.hyperfresh.shell;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console starts no program by its name on PATH: an operator who puts this checkout's bin/ on PATH has
 * {@code bin/test} (the whole test suite) there, and JLine's exec provider used to run {@code test -t 1} to ask
 * whether a stream is a terminal. Every name a terminal library might run is a recorder here, ahead of the real
 * ones, and the console is run once without a terminal and once on one ({@code script}'s pty).
 */
class NoCommandsByNameTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final String[] NAMES = {"test", "[", "stty", "tty", "tput", "infocmp"};

    @TempDir
    Path sockets;

    @Test
    void theConsoleRunsNoTestSttyOrTputFromPath() throws Exception {
        Path bin = Files.createDirectory(sockets.resolve("bin"));
        Path ran = sockets.resolve("ran.txt");
        for (String name : NAMES) {
            Path recorder = bin.resolve(name);
            Files.writeString(recorder, "#!/bin/sh\necho \"" + name + " $*\" >> '" + ran + "'\nexit 1\n");
            Files.setPosixFilePermissions(recorder, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Map<String, String> env = Map.of("PATH", bin + ":" + System.getenv("PATH"));

        // `pause` goes through Spring Shell and its JLine terminal; no instance: it fails, after the terminal is made
        HyperfreshProcess.Result piped = HyperfreshProcess.run(sockets, TIMEOUT, env, "pause", "nosuch");
        HyperfreshProcess.Result onATerminal = HyperfreshProcess.runCommand(sockets, TIMEOUT, env, "script", "-qec",
                HyperfreshProcess.ROOT.resolve("bin/hyperfresh") + " pause nosuch", "/dev/null");

        assertThat(piped.err()).contains("nosuch");
        assertThat(onATerminal.out()).contains("nosuch");
        assertThat(Files.exists(ran) ? Files.readString(ran) : "").as("programs run by name").isEmpty();
    }
}
