package dev.hyperfresh.vmm.handover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FaultPointTest {
    @Test
    void everyPointKillsOrStallsByItsOptionName() {
        FaultPoint kill = FaultPoint.parse("after-offer");
        assertThat(kill).isSameAs(FaultPoint.AFTER_OFFER);
        assertThat(kill.stall()).isFalse();
        FaultPoint stall = FaultPoint.parse("stall-after-offer");
        assertThat(stall).isSameAs(FaultPoint.AFTER_OFFER.stalled());
        assertThat(stall.stall()).isTrue();
        assertThat(stall.at(FaultPoint.AFTER_OFFER)).isTrue();
        assertThat(stall.at(FaultPoint.TAKEN)).isFalse();
        assertThat(stall.option()).isEqualTo("stall-after-offer");
        assertThat(FaultPoint.parse("old-state-reader")).isSameAs(FaultPoint.OLD_STATE_READER);
    }

    @Test
    void anUnknownPointNamesTheKnownOnes() {
        assertThatThrownBy(() -> FaultPoint.parse("stall-nowhere")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown fault point stall-nowhere")
                .hasMessageContaining("standby-start, remap, after-adopt, pause, save, after-offer");
    }
}
