package dev.hyperfresh.shell;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One command given as arguments, against the same line in a script, whose console outlives the line. */
class BatchRunnerTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final String ONE_SHOT_STANDBY = "a one-shot command's console ends with it";

    @TempDir
    Path sockets;

    @Test
    void aOneShotStandbyIsRefusedBeforeItStartsAnythingAScriptsIsNot() throws Exception {
        Files.writeString(sockets.resolve("ghost.sock"), "");

        HyperfreshProcess.Result alone = HyperfreshProcess.run(sockets, TIMEOUT, "standby", "ghost");
        Path script = Files.writeString(sockets.resolve("steps.hf"), "standby ghost\n");
        HyperfreshProcess.Result scripted = HyperfreshProcess.run(sockets, TIMEOUT, "--script", script.toString());

        assertThat(alone.exitCode()).isEqualTo(2);
        assertThat(alone.err()).contains(ONE_SHOT_STANDBY).contains("`hyperfresh --script FILE`");
        assertThat(scripted.err()).doesNotContain(ONE_SHOT_STANDBY).contains("instance ghost does not answer");
    }

    @Test
    void aScriptThatCannotBeReadIsAUsageErrorInAWord() throws Exception {
        HyperfreshProcess.Result missing = HyperfreshProcess.run(sockets, TIMEOUT, "--script",
                sockets.resolve("nosuch.hf").toString());
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err().strip()).isEqualTo("hyperfresh: cannot read the script " + sockets.resolve("nosuch.hf")
                + ": no such file or directory");
    }

    @Test
    void anInstanceNamedAfterAValuedOptionIsTheOneTheCommandRunsOn() throws Exception {
        // Spring Shell alone had dropped `nosuch` ("name an instance or attach"; in the REPL: the attached one)
        HyperfreshProcess.Result alone = HyperfreshProcess.run(sockets, TIMEOUT, "stop", "--vm", "web", "nosuch",
                "--json");
        Path script = Files.writeString(sockets.resolve("stop.hf"), "console --seconds 1 nosuch\n");
        HyperfreshProcess.Result scripted = HyperfreshProcess.run(sockets, TIMEOUT, "--script", script.toString());

        assertThat(alone.exitCode()).isEqualTo(3);
        assertThat(alone.out()).contains("\"outcome\":\"refused\"").contains("no instance named nosuch");
        assertThat(scripted.exitCode()).isEqualTo(3);
        assertThat(scripted.err()).contains("no instance named nosuch");
    }

    @Test
    void aHomeThatCannotBeWrittenLeavesAOneShotRunAsItWas() throws Exception {
        // a service account's home (/nonexistent): the shell's line history was saved as it ended, a stack trace
        Path file = Files.writeString(sockets.resolve("a-file"), "");
        HyperfreshProcess.Result run = HyperfreshProcess.run(sockets, TIMEOUT,
                Map.of("HYPERFRESH_JAVA_OPTS", "-Duser.home=" + file.resolve("home")), "stop", "nosuch");

        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.err().strip()).isEqualTo("hyperfresh: no instance named nosuch (no " + sockets.resolve("nosuch.sock")
                + "); `list` shows the running ones");
    }
}
