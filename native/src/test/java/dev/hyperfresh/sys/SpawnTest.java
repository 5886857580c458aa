package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpawnTest {
    @TempDir
    Path dir;

    @Test
    void aDetachedChildGetsItsSessionItsLogAndExactlyThePassedFiles() throws Exception {
        Path log = Files.writeString(dir.resolve("child.log"), "earlier run\n");
        Path work = Files.createDirectory(dir.resolve("work"));
        Path a = Files.writeString(dir.resolve("a.txt"), "first file\n");
        Path b = Files.writeString(dir.resolve("b.txt"), "second file\n");
        // opened in the reverse order, so that the second file has the lower number and the moves cross
        Fd second = new Fd(Sys.check(Sys.C.open(b.toString(), 0), "open"), "b");
        Fd first = new Fd(Sys.check(Sys.C.open(a.toString(), 0), "open"), "a");
        String script = "echo sid=$(cut -d' ' -f6 /proc/self/stat) pid=$$; cat <&3; cat <&4; ls /proc/self/fd;"
                + " pwd; echo env=$HF_SPAWN_TEST; grep SigBlk /proc/self/status; echo err >&2; read x; echo read=$?;"
                + " exit 3";
        Process p;
        try (first; second) {
            p = Spawn.detached(List.of("sh", "-c", script), Map.of("HF_SPAWN_TEST", "yes"), Optional.of(work), log,
                    List.of(first, second));
        }
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(3);
        assertThat(p.waitFor()).isEqualTo(3);
        assertThat(p.isAlive()).isFalse();
        List<String> lines = Files.readAllLines(log);
        assertThat(lines.get(0)).isEqualTo("earlier run");
        assertThat(lines.get(1)).isEqualTo("sid=" + p.pid() + " pid=" + p.pid());
        assertThat(lines.subList(2, 4)).containsExactly("first file", "second file");
        // 0-2, the two passed, and the directory ls reads
        assertThat(lines.subList(4, 10)).containsExactly("0", "1", "2", "3", "4", "5");
        assertThat(lines.subList(10, lines.size())).containsExactly(work.toString(), "env=yes",
                "SigBlk:\t0000000000000000", "err", "read=1");
    }

    @Test
    void aSignalEndsItWithTheJdksStatusAndOnExitCompletes() throws Exception {
        Process p = Spawn.detached(List.of("sleep", "30"), Map.of(), Optional.empty(), dir.resolve("log"), List.of());
        assertThat(p.isAlive()).isTrue();
        assertThat(p.toHandle().pid()).isEqualTo(p.pid());
        assertThat(p.waitFor(50, TimeUnit.MILLISECONDS)).isFalse();
        p.destroyForcibly();
        assertThat(p.onExit().get(10, TimeUnit.SECONDS)).isSameAs(p);
        assertThat(p.waitFor()).isEqualTo(128 + 9);
    }

    @Test
    void aChildThatExitsOnItsOwnIsReapedWithoutAnyoneWaiting() throws Exception {
        Process p = Spawn.detached(List.of("sh", "-c", "exit 7"), Map.of(), Optional.empty(), dir.resolve("log"),
                List.of());
        Path proc = Path.of("/proc", Long.toString(p.pid()));
        for (int waited = 0; Files.exists(proc) && waited < 200; waited++) {
            Thread.sleep(50);   // a zombie keeps its /proc entry until reaped
        }
        assertThat(proc).doesNotExist();
        assertThat(p.isAlive()).isFalse();
        assertThat(p.exitValue()).isEqualTo(7);
    }

    @Test
    void aProgramThatCannotBeFoundIsNamed() {
        assertThatThrownBy(() -> Spawn.detached(List.of("/nonexistent/qemu"), Map.of(), Optional.empty(),
                dir.resolve("log"), List.of()))
                .isInstanceOf(SysException.class).hasMessageContaining("posix_spawn(/nonexistent/qemu)");
    }
}
