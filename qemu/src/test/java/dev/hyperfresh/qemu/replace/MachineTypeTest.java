package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.qemu.testing.TestQemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineTypeTest {
    private static List<String> pinned(String... words) {
        QemuArgs running = QemuArgs.parse(List.of(words), Path.of("/srv/vm"));
        return MachineType.pin(running, "pc-q35-7.2").options().stream().flatMap(o -> o.words().stream()).toList();
    }

    @Test
    void anAliasOrNoMachineAtAllBecomesTheVersionedTypeTheGuestRuns() {
        assertThat(pinned("qemu", "-machine", "q35,memory-backend=ram0", "-m", "1G"))
                .containsExactly("-machine", "pc-q35-7.2,memory-backend=ram0", "-m", "1G");
        assertThat(pinned("qemu", "-M", "type=q35,accel=kvm")).containsExactly("-M", "pc-q35-7.2,accel=kvm");
        assertThat(pinned("qemu", "-m", "1G")).containsExactly("-m", "1G", "-machine", "pc-q35-7.2");
        assertThat(pinned("qemu", "-machine", "pc-q35-7.2")).containsExactly("-machine", "pc-q35-7.2");
    }

    /** QEMU merges every -machine, a later type winning: the type goes in the first, the others keep the rest. */
    @Test
    void onlyTheFirstMachineOptionNamesTheType() {
        assertThat(pinned("qemu", "-machine", "accel=tcg", "-machine", "q35", "-machine", "pc,smm=off"))
                .containsExactly("-machine", "pc-q35-7.2,accel=tcg", "-machine", "smm=off");
    }

    /** Each release lists the versioned types it emulates: its own and older ones, never a newer release's. */
    @Test
    void aReleaseEmulatesItsOwnAndOlderMachinesOnly() {
        assertThat(MachineType.machinesOf(TestQemu.binary())).contains("pc-q35-7.2", "pc-i440fx-7.2", "q35")
                .doesNotContain("pc-q35-10.0", "Supported");
        assertThat(MachineType.machinesOf(TestQemu.newer())).contains("pc-q35-7.2", "pc-q35-10.0");
    }

    @Test
    void aBinaryThatCannotSayListsNothing(@TempDir Path dir) throws IOException {
        Path broken = Files.writeString(dir.resolve("qemu"), "#!/bin/sh\nexit 1\n");
        assertThat(broken.toFile().setExecutable(true)).isTrue();
        assertThat(MachineType.machinesOf(broken)).isEmpty();
        assertThat(MachineType.machinesOf(dir.resolve("absent"))).isEmpty();
    }
}
