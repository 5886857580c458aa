package dev.hyperfresh.shell;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.shell.command.CommandCatalog;

/**
 * The checked-in completion scripts and man page are what the command model generates now, and the man page
 * renders with man(1) without a warning and documents every command.
 */
@SpringBootTest(classes = HyperfreshApplication.class, properties = "hyperfresh.socket-dir=target/docs-test-sockets")
class GeneratedDocsTest {
    private static final Path ROOT = HyperfreshProcess.ROOT;

    @Autowired
    CommandCatalog catalog;

    @Test
    void checkedInFilesAreWhatTheCommandModelGenerates() throws Exception {
        CommandModel model = CommandModel.of(catalog);
        Map<String, String> generated = Map.of("completions/hyperfresh.bash", CompletionScripts.bash(model),
                "completions/_hyperfresh", CompletionScripts.zsh(model), "man/hyperfresh.1", ManPage.render(model));
        Path out = Path.of("target/generated-docs");
        for (Map.Entry<String, String> file : generated.entrySet()) {
            Path fresh = out.resolve(file.getKey());
            Files.createDirectories(fresh.getParent());
            Files.writeString(fresh, file.getValue());
        }
        for (Map.Entry<String, String> file : generated.entrySet()) {
            Path fresh = out.resolve(file.getKey());
            Path checkedIn = ROOT.resolve(file.getKey());
            assertThat(Files.exists(checkedIn) ? Files.readString(checkedIn) : "")
                    .as("%s is out of date: cp shell/%s %s", file.getKey(), fresh, file.getKey())
                    .isEqualTo(file.getValue());
        }
    }

    @Test
    void manRendersWithoutWarningsAndNamesEveryCommand() throws Exception {
        Path page = ROOT.resolve("man/hyperfresh.1");
        ProcessBuilder pb = new ProcessBuilder("man", "--warnings", "-E", "UTF-8", "-l", page.toString());
        pb.environment().putAll(Map.of("MANPAGER", "cat", "MANWIDTH", "100", "LC_ALL", "C.UTF-8"));
        Process man = pb.start();
        String text = new String(man.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String warnings = new String(man.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(man.waitFor()).isZero();
        assertThat(warnings).as("man/groff warnings").isEmpty();
        for (CommandModel.Command c : CommandModel.of(catalog).commands()) {
            assertThat(text).as("man page section for %s", c.name()).containsPattern("(?m)^ {3}" + c.name() + "$");
            c.options().forEach(o -> assertThat(text).contains("--" + o.name()));
        }
        assertThat(text).contains("EXIT STATUS").contains("FILES").contains("EXAMPLES");
    }
}
