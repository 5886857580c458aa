package dev.hyperfresh.vmm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** hfvisor's command line refused before anything starts: exit 2, the reason in a sentence, the usage after it. */
class HfvisorMainTest {
    @TempDir
    Path dir;

    private record Run(int status, String err) {
    }

    private static Run run(String... args) {
        PrintStream before = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new Run(HfvisorMain.run(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(before);
        }
    }

    @Test
    void anInstanceNameIsAFileNameInTheSocketDirectoryNeverAPathOutOfIt() {
        for (String[] args : new String[][] {{"--vm", "name=a,mem=64M", "--name", "../x"},
                {"--socket-dir", dir.toString(), "--vm", "name=a,mem=64M", "--name", "../x"}}) {
            Run r = run(args);
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err()).startsWith("hfvisor: instance name \"../x\" must be letters, digits, '.', '_' or '-',"
                    + " starting with a letter or digit\nusage: hfvisor");
        }
    }

    @Test
    void aVmKeyGivenTwiceIsRefused() {
        Run r = run("--vm", "name=a,cpus=2,cpus=3");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).startsWith("hfvisor: --vm key 'cpus' given twice in 'name=a,cpus=2,cpus=3'\n");
    }

    @Test
    void aShutdownTimeoutIsWholeSecondsZeroOrMore() {
        for (String bad : new String[] {"-1", "1.5", "soon"}) {
            Run r = run("--shutdown-timeout", bad, "--vm", "name=a,mem=64M");
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err()).startsWith("hfvisor: --shutdown-timeout takes whole seconds, 0 or more, not '" + bad
                    + "'\n");
        }
    }
}
