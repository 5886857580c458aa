package dev.hyperfresh.shell;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * completions/hyperfresh.bash in a real bash: what Tab offers after a given command line. Instances: hfvisor's
 * {@code demo} and {@code db}, the QEMU {@code web} (its QMP socket).
 */
class BashCompletionTest {
    @TempDir
    Path sockets;

    private List<String> complete(String line) throws Exception {
        Files.createFile(sockets.resolve("demo.sock"));
        Files.createFile(sockets.resolve("db.sock"));
        Files.createFile(sockets.resolve("web.qmp"));
        String script = "source \"$1\"; read -ra COMP_WORDS <<< \"$2\"; [[ $2 == *' ' ]] && COMP_WORDS+=('');"
                + " COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _hyperfresh; printf '%s\\n' \"${COMPREPLY[@]}\"";
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", script, "bash",
                HyperfreshProcess.ROOT.resolve("completions/hyperfresh.bash").toString(), line)
                .directory(sockets.toFile());
        pb.environment().put("HYPERFRESH_SOCKET_DIR", sockets.toString());
        Process bash = pb.start();
        String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(bash.waitFor()).as(new String(bash.getErrorStream().readAllBytes())).isZero();
        Files.delete(sockets.resolve("demo.sock"));
        Files.delete(sockets.resolve("db.sock"));
        Files.delete(sockets.resolve("web.qmp"));
        return Arrays.stream(out.split("\n")).filter(s -> !s.isEmpty()).sorted().toList();
    }

    @Test
    void commandsOptionsInstancesValuesAndFiles() throws Exception {
        assertThat(complete("hyperfresh re")).containsExactly("remap", "replace", "reset", "resume");
        assertThat(complete("hyperfresh replace --")).contains("--instance", "--with", "--json", "--seconds");
        assertThat(complete("hyperfresh replace ")).containsExactly("db", "demo", "web");
        assertThat(complete("hyperfresh attach w")).containsExactly("web");
        assertThat(complete("hyperfresh cutover --instance de")).containsExactly("demo");
        assertThat(complete("hyperfresh launch --guest ")).containsExactly("hfguest", "linux");
        assertThat(complete("hyperfresh launch --reboot ")).containsExactly("poweroff", "restart");
        assertThat(complete("hyperfresh replace web --accel ")).containsExactly("kvm", "tcg");
        assertThat(complete("hyperfresh snapshot --show r")).containsExactly("regs");
        assertThat(complete("hyperfresh snapshot --save dem")).containsExactly("demo.sock");
        assertThat(complete("hyperfresh --script db")).containsExactly("db.sock");
        assertThat(complete("hyperfresh list --j")).containsExactly("--json");
    }
}
