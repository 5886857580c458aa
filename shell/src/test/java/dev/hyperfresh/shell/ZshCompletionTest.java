package dev.hyperfresh.shell;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * completions/_hyperfresh in a real interactive zsh (compinit, the script on fpath), Tab pressed in a terminal:
 * commands with their descriptions, instance names from the socket directory (hfvisor's {@code demo} and
 * {@code db}, the QEMU {@code web}), options, a choice's values.
 */
class ZshCompletionTest {
    private static final Duration SCREEN = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void tabOffersCommandsInstancesOptionsAndValues() throws Exception {
        Path sockets = Files.createDirectory(dir.resolve("sockets"));
        for (String socket : new String[] {"demo.sock", "db.sock", "web.qmp"}) {
            Files.createFile(sockets.resolve(socket));
        }
        // -d: no system-wide startup files; hyperfresh itself need not run, only be a command zsh completes
        Files.writeString(dir.resolve(".zshrc"), "fpath=(" + HyperfreshProcess.ROOT.resolve("completions") + " $fpath)\n"
                + "autoload -Uz compinit && compinit -u -d " + dir.resolve("zcompdump") + "\n"
                + "hyperfresh() { :; }\nPS1='zsh> '\n");
        try (Tmux zsh = Tmux.start("hyperfresh-zsh-test", "env", "ZDOTDIR=" + dir, "HYPERFRESH_SOCKET_DIR=" + sockets,
                "zsh", "-d", "-i")) {
            zsh.awaitScreen("zsh> ", SCREEN);
            zsh.type("hyperfresh re", "Tab");
            zsh.awaitScreen("replace  -- Replace the instance live", SCREEN);
            assertThat(zsh.screen()).contains("remap    -- Share every VM").contains("reset    -- Reset one VM");
            zsh.type("place ", "Tab");
            zsh.awaitScreen("db    demo  web", SCREEN);
            zsh.type("w", "Tab");
            zsh.awaitScreen("zsh> hyperfresh replace web ", SCREEN);
            zsh.type("--accep", "Tab");
            zsh.awaitScreen("zsh> hyperfresh replace web --accept-cpu-state-loss ", SCREEN);
            zsh.type("--json\n");
            zsh.type("hyperfresh launch --guest ", "Tab");
            zsh.awaitScreen("hfguest  linux", SCREEN);
        }
    }
}
