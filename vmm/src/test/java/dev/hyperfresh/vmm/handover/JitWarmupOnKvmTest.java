package dev.hyperfresh.vmm.handover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.testkit.RequiresKvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The standby's rehearsal of the cutover on its warm-up VM, on real KVM; the handovers themselves: HandoverOnKvmTest. */
@RequiresKvm
class JitWarmupOnKvmTest {
    private final Kvm kvm = Kvm.open();

    @AfterEach
    void tearDown() {
        JitWarmup.release();
        kvm.close();
    }

    @Test
    void aStandbysWarmUpKeepsItsScratchVmForRehearsalsUntilReleased() {
        JitWarmup.run(kvm, 2, true);

        assertThat(JitWarmup.rehearse()).isTrue();
        assertThat(JitWarmup.rehearse()).as("kept for a handover after a rollback").isTrue();
        JitWarmup.release();
        assertThat(JitWarmup.rehearse()).isFalse();
    }

    @Test
    void anOldInstancesWarmUpKeepsNothing() {
        JitWarmup.run(kvm, 1, false);

        assertThat(JitWarmup.rehearse()).isFalse();
    }
}
