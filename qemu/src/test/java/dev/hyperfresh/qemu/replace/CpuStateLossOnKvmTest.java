package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.KvmFlavor;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.UncarriedCpuState;
import dev.hyperfresh.qemu.testing.HeartbeatLog;
import dev.hyperfresh.qemu.testing.RunningVm;
import dev.hyperfresh.qemu.testing.TestQemu;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * hfguest (AVX canaries in ymm8-15) under QEMU on this host's KVM. On a PVM host QEMU's CPU model has no XSAVE
 * while the guest uses it, so QEMU's migration zeroes the upper halves of the guest's ymm registers: the replacement
 * is refused with the VM untouched, and goes ahead only when the loss is accepted — which the guest's canaries then
 * show. On VMX/SVM KVM holds the guest to QEMU's CPU model and there is nothing to refuse.
 */
@RequiresKvm
class CpuStateLossOnKvmTest {
    private static final Duration GUEST_PROGRESS = Duration.ofMinutes(2);

    @TempDir
    Path dir;

    @Test
    void aGuestWhoseAvxStateQemuWouldDropIsRefusedUntouchedUnlessTheLossIsAccepted() {
        RunningVm vm = RunningVm.start(TestQemu.vm(dir, "avx", Accelerator.KVM, true, "cpus=2 mem_pct=2 hb_ms=200"), dir);
        HeartbeatLog log = new HeartbeatLog(vm.spec().debugLog(), 2);
        ReplacementOptions options = ReplacementOptions.of(TestQemu.binary(), ReplacementMode.SHARED)
                .withAccelerator(Accelerator.KVM).withTimeouts(Duration.ofMinutes(2), Duration.ofMinutes(5));
        try (vm) {
            log.awaitProgress(2, GUEST_PROGRESS);
            try (QemuInstance qemu = QemuInstance.attach(vm.spec().qmpSocket())) {
                Optional<String> lost = UncarriedCpuState.of(qemu.info());
                if (Kvm.hostFlavor() != KvmFlavor.PVM) {
                    assertThat(lost).isEmpty();
                    return;
                }
                assertThat(lost).hasValueSatisfying(l -> assertThat(l).contains("no XSAVE", "AVX"));
                assertThatThrownBy(() -> QemuReplacement.replace(qemu, options, ProgressListener.NONE))
                        .isInstanceOfSatisfying(NotReplaceableException.class, e -> assertThat(e.remedy())
                                .isEqualTo(NotReplaceableException.Remedy.ACCEPT_CPU_STATE_LOSS))
                        .hasMessageContaining("would lose guest state in a replacement");
                assertThat(qemu.info().pid()).isEqualTo(vm.process().pid());
            }
            log.awaitProgress(2, GUEST_PROGRESS);
            log.assertClean();
            try (QemuInstance qemu = QemuInstance.attach(vm.spec().qmpSocket())) {
                ReplacementResult r = QemuReplacement.replace(qemu, options.withCpuStateLossAccepted(),
                        ProgressListener.NONE);
                assertThat(r.warnings()).singleElement().asString().startsWith("replaced although QEMU's CPU model"
                        + " for it has no XSAVE");
            }
            log.awaitProgress(2, GUEST_PROGRESS);
            assertThat(log.lines().stream().filter(l -> l.is(GuestLine.HEARTBEAT))
                    .mapToLong(l -> l.heartbeat().canaryErrors()).max().orElse(0)).as("the loss the refusal prevents")
                    .isPositive();
        } finally {
            TestQemu.killAllIn(dir);
        }
    }
}
