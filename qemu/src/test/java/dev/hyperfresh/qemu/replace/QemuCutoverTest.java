package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.testing.HeartbeatLog;
import dev.hyperfresh.qemu.testing.RunningVm;
import dev.hyperfresh.qemu.testing.TestQemu;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Pidfd;
import dev.hyperfresh.sys.ProcStat;
import dev.hyperfresh.sys.TimeSlice;
import dev.hyperfresh.testkit.NotOnPvm;
import dev.hyperfresh.testkit.RequiresKvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cutover on the real QEMU, step by step as its trace records it: the end of the stream released only after
 * the old QEMU has completed its migration, the new QEMU running the guest only after that, and the old one killed
 * when {@code replace} returns; and the reference switch where nothing of ours stands between the two QEMUs.
 */
class QemuCutoverTest {
    private static final String GUEST = "cpus=2 mem_pct=10 hb_ms=50";
    private static final Duration GUEST_PROGRESS = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void theReleaseFollowsTheOldQemusCompletionAndTheOldQemuIsGoneOnReturnOnTcg() {
        replaceTwice(Accelerator.TCG);
    }

    /** Not on PVM: there QEMU's own migration zeroes hfguest's vector registers (see NotOnPvm). */
    @Test
    @RequiresKvm
    @NotOnPvm
    void theReleaseFollowsTheOldQemusCompletionAndTheOldQemuIsGoneOnReturnOnKvm() {
        replaceTwice(Accelerator.KVM);
    }

    @Test
    void qemuResumingItselfHasNoRelease() {
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "vm", Accelerator.TCG, true, GUEST), dir);
        HeartbeatLog log = new HeartbeatLog(vm.spec().debugLog(), 2);
        try {
            log.awaitProgress(2, GUEST_PROGRESS);
            ReplacementResult r = replaceOnce(vm, ReplacementOptions.of(TestQemu.binary(), ReplacementMode.SHARED)
                    .withAccelerator(Accelerator.TCG).withQemuResumingItself());
            Map<String, Long> t = r.traceUs();
            assertThat(t).doesNotContainKey(QemuReplacement.RELEASED);
            assertThat(t.get("standby-resume")).isLessThanOrEqualTo(t.get("standby-migration-completed"));
            log.awaitProgress(2, GUEST_PROGRESS);
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }

    private void replaceTwice(Accelerator accel) {
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "vm", accel, true, GUEST), dir);
        HeartbeatLog log = new HeartbeatLog(vm.spec().debugLog(), 2);
        try {
            log.awaitProgress(2, GUEST_PROGRESS);
            for (int i = 0; i < 2; i++) {
                ReplacementResult r = replaceOnce(vm, ReplacementOptions.of(TestQemu.binary(), ReplacementMode.SHARED)
                        .withAccelerator(accel));
                Map<String, Long> t = r.traceUs();
                List<String> order = new ArrayList<>(t.keySet());
                assertThat(t.get("source-stop")).isZero();
                assertThat(order).as("steps in order").containsSubsequence("source-migrate", "source-stop",
                        "source-migration-completed", QemuReplacement.RELEASED, "standby-resume",
                        "standby-migration-completed", "source-killed", "sockets-moved", "returned");
                assertThat(r.blackoutUs()).isEqualTo(t.get("standby-resume"));
                assertThat(r.warnings()).as("the hold kept the new QEMU back until the release").isEmpty();
                assertThat(r.resumeToReturnUs()).isEqualTo(t.get("returned") - t.get("standby-resume"));
                System.out.println(accel + " cutover trace (µs since the source's STOP): " + t);
                log.awaitProgress(2, GUEST_PROGRESS);
            }
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }

    private static List<Long> sliceOfEachThread(long pid) {
        return ProcStat.threadsOf(pid).stream().map(tid -> TimeSlice.of(tid).orElse(-1)).toList();
    }

    /**
     * One replacement; on return the QMP socket leads to the new QEMU, running, and the old one, killed, exits (the
     * kernel's teardown of its memory is not waited for).
     */
    private static ReplacementResult replaceOnce(RunningVm vm, ReplacementOptions options) {
        ReplacementResult r;
        try (QemuInstance qemu = QemuInstance.attach(vm.spec().qmpSocket()); Fd old = Pidfd.open((int) qemu.pid())) {
            r = QemuReplacement.replace(qemu, options, ProgressListener.NONE);
            assertThat(Pidfd.awaitExit(old, 10_000)).as("old QEMU gone").isTrue();
        }
        try (QemuInstance now = QemuInstance.attach(vm.spec().qmpSocket())) {
            assertThat(now.pid()).isEqualTo(r.newPid());
            assertThat(now.info().status()).isEqualTo("running");
        }
        assertThat(sliceOfEachThread(r.newPid())).as("the new QEMU's threads have their default slice back")
                .doesNotContain(TimeSlice.SHORTEST_NANOS);
        return r;
    }
}
