package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.qemu.testing.TestQemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenamedOptionsTest {
    /** QEMU 10's options, as far as these cases go: no -no-hpet, -runas, -chroot or -async-teardown. */
    private static final Set<String> TEN = Set.of("machine", "run-with", "m");
    private static final Set<String> SEVEN = Set.of("machine", "no-hpet", "no-acpi", "runas", "chroot",
            "async-teardown", "m");

    @TempDir
    Path dir;

    private static List<String> words(QemuArgs args) {
        return args.options().stream().flatMap(o -> o.words().stream()).toList();
    }

    private static QemuArgs args(String... words) {
        return QemuArgs.parse(List.of(words), null);
    }

    @Test
    void optionsANewerReleaseDroppedAreWrittenAsItTakesThem() {
        assertThat(words(RenamedOptions.forOptions(args("qemu", "-no-hpet", "-runas", "nobody", "-m", "1G",
                "-chroot", "/srv/jail", "-no-acpi", "-async-teardown"), TEN)))
                .containsExactly("-machine", "hpet=off", "-run-with", "user=nobody,chroot=/srv/jail,async-teardown=on",
                        "-m", "1G", "-machine", "acpi=off");
    }

    @Test
    void runWithIsTakenApartForAnOlderRelease() {
        assertThat(words(RenamedOptions.forOptions(args("qemu", "-run-with", "async-teardown=on,chroot=/j,user=u",
                "-m", "1G"), SEVEN))).containsExactly("-async-teardown", "-chroot", "/j", "-runas", "u", "-m", "1G");
        assertThatThrownBy(() -> RenamedOptions.forOptions(args("qemu", "-run-with", "exit-with-parent=on"), SEVEN))
                .isInstanceOf(NotReplaceableException.class)
                .hasMessage("the new QEMU has no -run-with, and no option of its own for its exit-with-parent=on");
    }

    @Test
    void aCommandLineTheNewQemuTakesOrOneThatCannotSayIsLeftAsItIs() {
        QemuArgs seven = args("qemu", "-no-hpet", "-runas", "nobody");
        assertThat(RenamedOptions.forOptions(seven, SEVEN)).isEqualTo(seven);
        assertThat(RenamedOptions.forOptions(seven, Set.of())).isEqualTo(seven);
    }

    @Test
    void theOptionsAreWhatTheBinarySaysItHas() throws IOException {
        assertThat(RenamedOptions.optionsOf(TestQemu.binary())).contains("machine", "m", "no-reboot", "qmp");
        Path broken = dir.resolve("broken");
        Files.writeString(broken, "#!/bin/sh\necho 'no such library' >&2\nexit 127\n");
        Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwx------"));
        assertThat(RenamedOptions.optionsOf(broken)).isEmpty();
        assertThat(RenamedOptions.optionsOf(dir.resolve("missing"))).isEmpty();
    }
}
