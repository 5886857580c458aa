package dev.hyperfresh.vmm.persist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.kvm.snapshot.SaveableMsrs;
import org.junit.jupiter.api.Test;

class VmStateTest {
    @Test
    void advancingMovesEveryTscByItsRateAndKvmclockByTheNanosecondsAndNothingElse() {
        VmState before = new SyntheticStates(3).vmState("vm", 2);

        VmState after = before.advancedBy(2_000_000);

        assertThat(after.vm().clock().clock()).isEqualTo(before.vm().clock().clock() + 2_000_000);
        for (int i = 0; i < 2; i++) {
            var was = before.vcpus().get(i);
            var is = after.vcpus().get(i);
            assertThat(is.msrs().value(SaveableMsrs.IA32_TSC))
                    .isEqualTo(was.msrs().value(SaveableMsrs.IA32_TSC) + 2L * was.tscKhz());
            assertThat(is.regs()).isEqualTo(was.regs());
        }
        assertThat(after.devices().keySet()).isEqualTo(before.devices().keySet());
        assertThat(before.advancedBy(0)).isEqualTo(before);
    }
}
