package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PidfdTest {
    private static final int CHILD_FD = 7;

    @TempDir
    Path dir;

    private Process child;

    @AfterEach
    void killChild() throws InterruptedException {
        if (child != null) {
            child.destroyForcibly().waitFor();
        }
    }

    @Test
    void takesAnOpenFileFromAnotherProcess() throws Exception {
        String content = "guest state held by the old VMM\n";
        Path file = Files.writeString(dir.resolve("held.txt"), content);
        child = new ProcessBuilder("sh", "-c", "exec " + CHILD_FD + "<\"$0\"; echo ready; exec sleep 30",
                file.toString()).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("ready");
        }

        try (Fd pidfd = Pidfd.open((int) child.pid()); Fd taken = Pidfd.getFd(pidfd, CHILD_FD)) {
            assertThat(taken.what()).isEqualTo("fd 7 of pidfd of pid " + child.pid());
            Pointer buf = Sys.allocate(256);
            long n = Sys.check(Sys.C.read(taken.get(), buf, 256), "read(" + taken.what() + ")");
            byte[] bytes = new byte[(int) n];
            buf.get(0, bytes, 0, bytes.length);
            assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo(content);
        }
    }

    @Test
    void takingAnFdTheTargetDoesNotHaveNamesItAndEbadf() throws Exception {
        child = new ProcessBuilder("sleep", "30").start();

        try (Fd pidfd = Pidfd.open((int) child.pid())) {
            assertThatThrownBy(() -> Pidfd.getFd(pidfd, 999))
                    .isInstanceOf(SysException.class)
                    .hasMessageContaining("pidfd_getfd(pidfd of pid " + child.pid() + ", fd 999)")
                    .hasMessageContaining("EBADF");
        }
    }

    @Test
    void openingANonexistentPidNamesItAndEsrch() {
        // Above the kernel's hard PID_MAX_LIMIT (4M), so no process can have it.
        int pid = Integer.MAX_VALUE;

        assertThatThrownBy(() -> Pidfd.open(pid))
                .isInstanceOf(SysException.class)
                .hasMessageContaining("pidfd_open(pid " + pid + ")")
                .hasMessageContaining("ESRCH");
    }

    @Test
    void aSignalReachesTheProcessAndSaysWhenItIsGone() throws Exception {
        child = new ProcessBuilder("sleep", "30").start();

        try (Fd pidfd = Pidfd.open((int) child.pid())) {
            assertThat(Pidfd.sendSignal(pidfd, 9)).isTrue();
            child.waitFor();
            assertThat(Pidfd.sendSignal(pidfd, 9)).as("exited and reaped: nothing to signal").isFalse();
        }
    }
}
