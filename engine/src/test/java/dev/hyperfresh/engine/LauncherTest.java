package dev.hyperfresh.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LauncherTest {
    @Test
    void aFailedStartIsToldByItsOwnLinesNotByAnEarlierRunsOfTheSameName(@TempDir Path dir) throws IOException {
        Path log = dir.resolve("a.log");
        Files.writeString(log, "# 2026-12-05T03:21:05Z hfvisor --vm name=web,mem=1K\n"
                + "hfvisor: VM memory must be at least 16 MiB, got 1024\n"
                + "# 2026-12-05T03:21:06Z hfvisor --vm name=web,mem=100T\n"
                + "hfvisor: mmap(memfd hfvisor-web) failed: ENOMEM\n"
                + "# A fatal error has been detected by the Java Runtime Environment:\n#\n");
        assertThat(Launcher.tail(log)).isEqualTo("hfvisor: mmap(memfd hfvisor-web) failed: ENOMEM | # A fatal error"
                + " has been detected by the Java Runtime Environment: | #");
        Files.writeString(log, "# 2026-12-05T03:21:07Z hfvisor --vm name=web\n", StandardOpenOption.APPEND);
        assertThat(Launcher.tail(log)).isEqualTo("(nothing)");
    }

    @Test
    void aLogThatCannotBeWrittenIsSaidWithWhyAndNothingStarts(@TempDir Path dir) throws IOException {
        Path log = Files.createDirectory(dir.resolve("x.log"));   // as a socket directory the user cannot write
        Path started = dir.resolve("started");

        assertThatThrownBy(() -> Launcher.spawn(List.of("touch", started.toString()), log))
                .isInstanceOf(EngineException.class)
                .hasMessage("cannot write the log of touch in the socket directory (" + log + "): Is a directory;"
                        + " HYPERFRESH_SOCKET_DIR names another");
        assertThat(started).doesNotExist();
    }
}
