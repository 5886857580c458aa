package dev.hyperfresh.shell;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.engine.ActiveInstanceStub;
import dev.hyperfresh.engine.FakeStandbyMain;
import dev.hyperfresh.vmm.control.ControlServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REPL in a real terminal, typed into as a person would (tmux send-keys, capture-pane): prompt, attach,
 * tab completion, a standby with its progress, remap, rollback, clear errors. The instance is a stub and the
 * standby a fake process, so this runs without KVM; ShellOnKvmTest covers the real hypervisor.
 */
class ReplInTmuxTest {
    private static final Duration SCREEN = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void aSessionAtTheKeyboard() throws Exception {
        Path fakeHfvisor = dir.resolve("fake-hfvisor");
        Files.writeString(fakeHfvisor, "#!/bin/sh\nexec " + ProcessHandle.current().info().command().orElse("java")
                + " -cp '" + System.getProperty("java.class.path") + "' " + FakeStandbyMain.class.getName()
                + " \"$@\"\n");
        Files.setPosixFilePermissions(fakeHfvisor, PosixFilePermissions.fromString("rwx------"));
        try (ControlServer stub = ActiveInstanceStub.serve(dir, "demo");
             Tmux tmux = Tmux.start("hyperfresh-test", "env", "HYPERFRESH_SOCKET_DIR=" + dir,
                     "HYPERFRESH_JAVA_OPTS=-XX:TieredStopAtLevel=1 -Duser.home=" + dir, "HYPERFRESH_START_TIMEOUT=120s",
                     HyperfreshProcess.ROOT.resolve("bin/hyperfresh").toString())) {
            tmux.awaitScreen("hyperfresh> ", SCREEN);
            tmux.type("att", "Tab");
            tmux.awaitScreen("hyperfresh> attach", SCREEN);
            tmux.type(" demo", "Enter");
            tmux.awaitScreen("attached to demo", SCREEN);
            tmux.awaitScreen("hyperfresh:demo> ", SCREEN);
            tmux.type("snapshot --show regs nosuch", "Enter");
            tmux.awaitScreen("hyperfresh: no instance named nosuch", SCREEN);   // not the attached demo's
            tmux.type("cutover", "Enter");
            tmux.awaitScreen("hyperfresh: cutover needs a remapped standby", SCREEN);
            tmux.type("standby --with " + fakeHfvisor, "Enter");
            tmux.awaitScreen("standby demo-next-1 (hfvisor 0.2.0-fake", SCREEN);
            assertThat(tmux.screen()).as("the standby's status line, left complete").containsPattern(
                    "standby +\\[#{24}\\] 100%");
            tmux.type("remap", "Enter");
            tmux.awaitScreen("0 B copied", SCREEN);
            tmux.type("rollback", "Enter");
            tmux.awaitScreen("rolled back: the standby is gone", SCREEN);
            assertThat(tmux.screen()).doesNotContain("Exception").doesNotContain("\tat ");
            tmux.type("quit", "Enter");
            Path history = dir.resolve(".hyperfresh_history");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!Files.exists(history) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(history).as("the REPL's history file").content().contains("standby --with")
                    .contains("rollback");
        }
    }
}
