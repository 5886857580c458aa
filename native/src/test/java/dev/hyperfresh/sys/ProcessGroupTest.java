package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProcessGroupTest {
    /** A launcher script that starts the real program in the background, as a wrapper around QEMU does. */
    @Test
    void killingTheGroupTakesTheWrappersChildToo() throws Exception {
        Process wrapper = new ProcessBuilder("setsid", "sh", "-c", "sleep 300 & echo $!; wait").start();
        long grandchild;
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(wrapper.getInputStream(), StandardCharsets.UTF_8))) {
            grandchild = Long.parseLong(out.readLine().trim());
        }
        ProcessHandle sleeper = ProcessHandle.of(grandchild).orElseThrow();

        assertThat(ProcessGroup.signal(wrapper.pid(), 9)).isTrue();
        wrapper.waitFor();

        assertThat(sleeper.onExit().completeOnTimeout(null, Duration.ofSeconds(10).toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS).join()).as("the wrapper's child is gone").isNotNull();
        assertThat(ProcessGroup.signal(wrapper.pid(), 9)).as("no member is left").isFalse();
    }

    /** The wrapper's child is not ours to reap: the wait is for the whole group, not for the leader. */
    @Test
    void killAndAwaitEmptyReturnsOnlyWhenTheWrappersChildIsGone() throws Exception {
        Process wrapper = new ProcessBuilder("setsid", "sh", "-c", "sleep 300 & echo $!; wait").start();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(wrapper.getInputStream(), StandardCharsets.UTF_8))) {
            out.readLine(); // the child has started
        }

        assertThat(ProcessGroup.killAndAwaitEmpty(wrapper.pid(), Duration.ofSeconds(10))).isTrue();

        assertThat(ProcessGroup.hasRunningMember(wrapper.pid())).as("the wrapper's child has let go").isFalse();
        wrapper.waitFor();
    }
}
