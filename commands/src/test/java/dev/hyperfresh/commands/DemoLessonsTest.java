package dev.hyperfresh.commands;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.engine.Verification;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the tour explains beyond its steps. */
class DemoLessonsTest {
    private static Verification after(int vcpus, Long guestGapUs, Long controlGapUs, Long blackoutUs) {
        return new Verification(400, vcpus, 0, 0, 0, 0, 0, true, guestGapUs, controlGapUs, blackoutUs, List.of(), 2000,
                List.of());
    }

    @Test
    void aPauseFarAboveTheBlackoutIsExplained() {
        assertThat(DemoCommand.whyLongerThanTheBlackout(after(2, 20_100L, 3_866L, 408L), 2)).hasValueSatisfying(
                why -> assertThat(why).contains("the guest's 2 busy vCPU(s) on this host's 2 CPUs, which they fill")
                        .contains("\"After the blackout, the guest first\""));
        assertThat(DemoCommand.whyLongerThanTheBlackout(after(1, 5_893L, 1_082L, 413L), 2)).hasValueSatisfying(
                why -> assertThat(why).contains("the guest's 1 busy vCPU(s) on this host's 2 CPUs, and"));
    }

    @Test
    void otherwiseNothingIsAdded() {
        assertThat(DemoCommand.whyLongerThanTheBlackout(after(2, 900L, 400L, 408L), 2)).as("near the blackout")
                .isEmpty();
        assertThat(DemoCommand.whyLongerThanTheBlackout(after(2, null, null, null), 2)).as("no cutover watched")
                .isEmpty();
    }
}
