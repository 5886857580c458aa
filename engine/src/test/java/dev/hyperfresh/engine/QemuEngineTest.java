package dev.hyperfresh.engine;


import dev.hyperfresh.progress.Progress;
import dev.hyperfresh.qemu.replace.Phase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Naming QEMUs and timing their phases, without a QEMU (the shell's tests replace real ones). */
class QemuEngineTest {
    @TempDir
    Path dir;

    private QemuEngine engine() {
        return new QemuEngine(new EngineConfig(dir, dir.resolve("hfvisor"), Duration.ofSeconds(1)));
    }

    @Test
    void aQmpPathOrANameWithOnlyAQmpSocketIsAQemu() throws IOException {
        Files.createFile(dir.resolve("vm.qmp"));
        Files.createFile(dir.resolve("both.qmp"));
        Files.createFile(dir.resolve("both.sock"));
        QemuEngine qemu = engine();
        assertThat(qemu.owns("qmp:/somewhere/else.qmp")).isTrue();
        assertThat(qemu.owns("vm")).isTrue();
        assertThat(qemu.owns("both")).as("an hfvisor of that name wins; qmp:PATH reaches the QEMU").isFalse();
        assertThat(qemu.owns("nosuch")).isFalse();
    }

    @Test
    void aMissingOrSilentSocketIsAPrecondition() throws IOException {
        Files.createFile(dir.resolve("dead.qmp"));
        assertThatThrownBy(() -> engine().attach("qmp:" + dir.resolve("gone.qmp")))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind())
                        .isEqualTo(EngineException.Kind.PRECONDITION))
                .hasMessageStartingWith("no QEMU answers on " + dir.resolve("gone.qmp"));
        assertThatThrownBy(() -> engine().attach("dead"))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.kind())
                        .isEqualTo(EngineException.Kind.PRECONDITION))
                .hasMessageStartingWith("QEMU dead does not answer: ");
        assertThat(engine().list()).singleElement().satisfies(vm -> {
            assertThat(vm.name()).isEqualTo("dead");
            assertThat(vm.isStale()).isTrue();
            assertThat(vm.shareableRam()).isFalse();
        });
    }

    @Test
    void phasesLastUntilTheNextBeginsAndAreRelayed() {
        List<Progress> relayed = new ArrayList<>();
        QemuPhaseTimer timer = new QemuPhaseTimer(relayed::add);
        timer.onProgress(new Progress(Phase.PREFLIGHT.word(), 0, 0, 0));
        timer.onProgress(new Progress(Phase.STANDBY.word(), 0, 0, 100));
        timer.onProgress(new Progress(Phase.STANDBY.word(), 100, 0, 900));
        timer.onProgress(new Progress(Phase.MIGRATING.word(), 50, 4096, 1000));
        timer.onProgress(new Progress(Phase.CUTOVER.word(), 100, 8192, 1500));
        timer.onProgress(new Progress(Phase.DONE.word(), 100, 8192, 2000));
        assertThat(timer.phasesUs(2000).entrySet()).containsExactly(Map.entry("preflight", 100L),
                Map.entry("standby", 900L), Map.entry("migrating", 500L), Map.entry("cutover", 500L));
        assertThat(relayed).extracting(Progress::phase).containsExactly("preflight", "standby", "standby",
                "migrating", "cutover", "done");
        assertThat(relayed.get(3).bytes()).isEqualTo(4096);
    }
}
