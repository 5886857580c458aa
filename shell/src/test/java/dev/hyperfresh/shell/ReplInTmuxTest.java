package dev.hyperfresh.shell;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.engine.ActiveInstanceStub;
import dev.hyperfresh.engine.FakeStandbyMain;
import dev.hyperfresh.vmm.control.ControlServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REPL in a real terminal, typed into as a person would (tmux send-keys, capture-pane): prompt, attach,
 * tab completion, a standby with its progress, remap, rollback, clear errors. The instance is a stub and the
 * standby a fake process, so this runs without KVM; ShellOnKvmTest covers the real hypervisor.
 */
class ReplInTmuxTest {
    private static final String SERVER = "hyperfresh-test-" + ProcessHandle.current().pid();

    @TempDir
    Path dir;

    /** And waits for what ran in it: a console still exiting there kept writing into the temp dir being deleted. */
    @AfterEach
    void killTmux() throws Exception {
        List<ProcessHandle> running = new java.util.ArrayList<>();
        for (String pid : tmux("list-panes", "-a", "-F", "#{pane_pid}").split("\\s+")) {
            if (pid.matches("\\d+")) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(p -> {
                    running.add(p);
                    p.descendants().forEach(running::add);
                });
            }
        }
        tmux("kill-server");
        for (ProcessHandle p : running) {
            p.destroy();
            p.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void aSessionAtTheKeyboard() throws Exception {
        Path fakeHfvisor = dir.resolve("fake-hfvisor");
        Files.writeString(fakeHfvisor, "#!/bin/sh\nexec " + ProcessHandle.current().info().command().orElse("java")
                + " -cp '" + System.getProperty("java.class.path") + "' " + FakeStandbyMain.class.getName()
                + " \"$@\"\n");
        Files.setPosixFilePermissions(fakeHfvisor, PosixFilePermissions.fromString("rwx------"));
        try (ControlServer stub = ActiveInstanceStub.serve(dir, "demo")) {
            tmux("new-session", "-d", "-x", "160", "-y", "50", "-s", "hf", "env", "HYPERFRESH_SOCKET_DIR=" + dir,
                    "HYPERFRESH_JAVA_OPTS=-XX:TieredStopAtLevel=1 -Duser.home=" + dir, "HYPERFRESH_START_TIMEOUT=120s", HyperfreshProcess.ROOT.resolve("bin/hyperfresh")
                            .toString());
            awaitScreen("hyperfresh> ");
            type("att");
            tmux("send-keys", "-t", "hf", "Tab");
            awaitScreen("hyperfresh> attach");
            type(" demo", "Enter");
            awaitScreen("attached to demo");
            awaitScreen("hyperfresh:demo> ");
            type("cutover", "Enter");
            awaitScreen("hyperfresh: cutover needs a remapped standby");
            type("standby --with " + fakeHfvisor, "Enter");
            awaitScreen("standby demo-next-1 (hfvisor 0.2.0-fake");
            assertThat(screen()).as("the standby's status line, left complete").containsPattern(
                    "standby +\\[#{24}\\] 100%");
            type("remap", "Enter");
            awaitScreen("0 B copied");
            type("rollback", "Enter");
            awaitScreen("rolled back: the standby is gone");
            assertThat(screen()).doesNotContain("Exception").doesNotContain("\tat ");
            type("quit", "Enter");
            Path history = dir.resolve(".hyperfresh_history");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!Files.exists(history) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(history).as("the REPL's history file").content().contains("standby --with")
                    .contains("rollback");
        }
    }

    private void type(String... keys) throws Exception {
        // "-l" (literal) applies to a whole send-keys call, so Enter goes on its own
        for (String key : keys) {
            if (key.equals("Enter")) {
                tmux("send-keys", "-t", "hf", "Enter");
            } else {
                tmux("send-keys", "-t", "hf", "-l", key);
            }
        }
    }

    private String screen() throws Exception {
        return tmux("capture-pane", "-p", "-J", "-t", "hf", "-S", "-200");
    }

    private void awaitScreen(String text) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            last = screen();
            if (last.contains(text)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the screen never showed \"" + text + "\"; it shows:\n" + last);
    }

    private static String tmux(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("tmux", "-L", SERVER));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }
}
