package dev.hyperfresh.qemu.replace;


import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.testing.HeartbeatLog;
import dev.hyperfresh.qemu.testing.RunningVm;
import dev.hyperfresh.qemu.testing.TestQemu;
import dev.hyperfresh.testkit.NotOnPvm;
import dev.hyperfresh.testkit.RequiresKvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same replacements with QEMU on KVM, as operators run it. Without a host /dev/kvm this runs in the nested
 * KVM (emulated, slow: few replacements, a slow heartbeat, long waits; no timing means anything there).
 */
@RequiresKvm
@NotOnPvm
class QemuReplacementOnKvmTest {
    private static final String GUEST = "cpus=2 mem_pct=2 hb_ms=200";
    private static final Duration GUEST_PROGRESS = Duration.ofMinutes(2);

    @TempDir
    Path dir;

    private static ReplacementOptions options(Path binary, ReplacementMode mode) {
        return ReplacementOptions.of(binary, mode).withAccelerator(Accelerator.KVM)
                .withTimeouts(Duration.ofMinutes(2), Duration.ofMinutes(5));
    }

    /** The second replacement upgrades to a newer QEMU release (backports' 10.x) and the third comes back. */
    @Test
    void threeSharedReplacementsThenOneCopyKeepEveryHeartbeat() {
        Path newer = TestQemu.newer();
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "vm", Accelerator.KVM, true, GUEST), dir);
        HeartbeatLog log = new HeartbeatLog(vm.spec().debugLog(), 2);
        try {
            log.awaitProgress(2, GUEST_PROGRESS);
            List<ReplacementOptions> steps = List.of(options(TestQemu.binary(), ReplacementMode.SHARED),
                    options(newer, ReplacementMode.SHARED), options(TestQemu.binary(), ReplacementMode.SHARED),
                    options(TestQemu.binary(), ReplacementMode.COPY));
            for (ReplacementOptions step : steps) {
                try (QemuInstance qemu = QemuInstance.attach(vm.spec().qmpSocket())) {
                    assertThat(qemu.info().accelerator()).isEqualTo(Accelerator.KVM);
                    String from = qemu.info().version();
                    ReplacementResult r = QemuReplacement.replace(qemu, step, ProgressListener.NONE);
                    System.out.println(step.mode() + " replacement on KVM: QEMU " + from + " -> "
                            + step.newBinary() + ", pid " + r.oldPid() + " -> " + r.newPid() + ", "
                            + r.transferredBytes() + " bytes");
                }
                log.awaitProgress(2, GUEST_PROGRESS);
            }
        } finally {
            TestQemu.killAllIn(dir);
        }
        log.assertClean();
    }
}
