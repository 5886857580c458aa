package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlockTest {
    @TempDir
    Path dir;

    @Test
    void oneHolderAtATimeUntilItCloses() {
        Path file = dir.resolve("web.lock");
        try (Fd held = Flock.tryExclusive(file).orElseThrow()) {
            assertThat(Flock.tryExclusive(file)).as("a second open file cannot take it").isEmpty();
        }
        assertThat(Flock.tryExclusive(file)).as("free once the holder closed").hasValueSatisfying(Fd::close);
    }

    /** Another process's lock (flock(1), as a second hfvisor would hold it) is seen, and freed when they exit. */
    @Test
    void aLockHeldByAnotherProcessIsSeenUntilItExits() throws Exception {
        Path file = dir.resolve("db.lock");
        Process holder = new ProcessBuilder("setsid", "flock", "-n", file.toString(), "sh", "-c",
                "echo locked; sleep 30")
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("locked");
            assertThat(Flock.tryExclusive(file)).isEmpty();
        } finally {
            ProcessGroup.signal(holder.pid(), 9);
            holder.waitFor();
        }
        // the holder's children (sh, sleep) inherited the lock and die with the group a moment after flock itself
        long deadline = System.nanoTime() + 5_000_000_000L;
        Optional<Fd> lock = Flock.tryExclusive(file);
        while (lock.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
            lock = Flock.tryExclusive(file);
        }
        assertThat(lock).hasValueSatisfying(Fd::close);
    }
}
