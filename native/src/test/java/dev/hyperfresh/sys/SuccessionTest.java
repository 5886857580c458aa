package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.testkit.TestCgroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;

class SuccessionTest {
    @Test
    void aSuccessorTakesItsPredecessorsCgroupsAndOomScoreAdjustment() throws Exception {
        try (TestCgroup cgroup = TestCgroup.make("hf-succession")) {
            Process old = new ProcessBuilder("sleep", "30").start();
            Process successor = new ProcessBuilder("sleep", "30").start();
            try {
                cgroup.put(old.pid());
                // offered to the OOM killer first (shielding it, below 0, takes CAP_SYS_RESOURCE, which the
                // development machines' root lacks)
                Files.writeString(oomScoreAdj(old.pid()), "300", StandardOpenOption.WRITE);

                assertThat(Succession.follow(successor.pid(), old.pid(), false)).isEmpty();

                assertThat(cgroup.holds(successor.pid())).isTrue();
                assertThat(Files.readAllLines(oomScoreAdj(successor.pid()))).containsExactly("300");
            } finally {
                old.destroyForcibly().waitFor();
                successor.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void aSystemdServicesCgroupIsLeftToAPredecessorThatHandsTheServiceOnAndOtherwiseSaid() throws Exception {
        try (TestCgroup service = TestCgroup.service("hf-succession")) {
            Process old = new ProcessBuilder("sleep", "30").start();
            Process successor = new ProcessBuilder("sleep", "30").start();
            try {
                service.put(old.pid());

                assertThat(Succession.follow(successor.pid(), old.pid(), true)).isEmpty();
                assertThat(service.holds(successor.pid())).as("not before the predecessor says so").isFalse();

                assertThat(Succession.follow(successor.pid(), old.pid(), false)).singleElement().asString()
                        .contains("hf-succession-" + ProcessHandle.current().pid() + ".service")
                        .contains("Type=notify");
                assertThat(service.holds(successor.pid())).isFalse();
            } finally {
                old.destroyForcibly().waitFor();
                successor.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void aPredecessorGoneIsSaidNotThrown() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();

        assertThat(Succession.follow(ProcessHandle.current().pid(), gone.pid(), false)).hasSize(2)
                .allSatisfy(problem -> assertThat(problem).contains("no such file or directory"));
    }

    private static Path oomScoreAdj(long pid) {
        return Path.of("/proc", Long.toString(pid), "oom_score_adj");
    }
}
