package dev.hyperfresh.vmm.handover;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cutover trace the ledger keeps: {@code trace_us} of replace --json and history. */
class LedgerTraceTest {
    @Test
    void stepsAppearInTheOrderTheyHappenedWhateverTheirSlot() {
        try (Ledger ledger = Ledger.create(0)) {
            ledger.stamp(CutoverStep.PARKED, 1_000_000);
            ledger.stamp(CutoverStep.PAUSED, 1_020_000);
            ledger.stamp(CutoverStep.FIRST_VCPU_SAVED, 1_150_000);
            ledger.stamp(CutoverStep.SAVED, 1_200_000);
            ledger.stamp(CutoverStep.OFFERED, 1_210_000);
            ledger.stamp(CutoverStep.EARLY_RESTORED, 1_300_000);
            ledger.stamp(CutoverStep.TAKE_RECEIVED, 1_310_000);
            ledger.stamp(CutoverStep.PAUSE_REQUESTED, 500_000);

            assertThat(ledger.trace()).containsExactly(
                    entry("pause-requested", -500), entry("parked", 0), entry("paused", 20),
                    entry("first-vcpu-saved", 150), entry("saved", 200), entry("offered", 210),
                    entry("early-restored", 300), entry("take-received", 310));
        }
    }

    @Test
    void nothingIsTracedBeforeTheVmsParked() {
        try (Ledger ledger = Ledger.create(0)) {
            ledger.stamp(CutoverStep.PAUSE_REQUESTED, 500_000);

            assertThat(ledger.trace()).isEmpty();
        }
    }

    private static Map.Entry<String, Long> entry(String step, long micros) {
        return Map.entry(step, micros);
    }
}
