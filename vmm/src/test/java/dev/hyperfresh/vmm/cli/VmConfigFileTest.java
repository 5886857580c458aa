package dev.hyperfresh.vmm.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmConfigFileTest {
    @TempDir
    Path dir;

    @Test
    void oneSpecPerLineWithCommentsAndBlankLines() throws IOException {
        Path file = Files.writeString(dir.resolve("vms.conf"), """
                # two test guests
                name=web,mem=256M,cpus=2

                  name=db,mem=1G,cmdline=cpus=1 mem_pct=5, hb_ms=20
                """);
        assertThat(VmConfigFile.read(file)).extracting(VmSpec::name, VmSpec::vcpus, VmSpec::cmdline)
                .containsExactly(Tuple.tuple("web", 2, ""),
                        Tuple.tuple("db", 1, "cpus=1 mem_pct=5, hb_ms=20"));
    }

    @Test
    void aBadLineIsNamedWithItsNumber() throws IOException {
        Path file = Files.writeString(dir.resolve("vms.conf"), "name=a\n# fine\nname=b,colour=red\n");
        assertThatThrownBy(() -> VmConfigFile.read(file))
                .hasMessageStartingWith(file + ":3: unknown --vm key 'colour'");
    }

    @Test
    void aMissingOrEmptyFileIsRefused() throws IOException {
        assertThatThrownBy(() -> VmConfigFile.read(dir.resolve("absent.conf")))
                .hasMessage("config file " + dir.resolve("absent.conf") + " does not exist");
        Path empty = Files.writeString(dir.resolve("empty.conf"), "# nothing yet\n\n");
        assertThatThrownBy(() -> VmConfigFile.read(empty)).hasMessageContaining("names no VM");
    }
}
