package dev.hyperfresh.kvm.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SaveableMsrsTest {
    private static final int[] INDICES = {0x10, 0x12, 0x4b564d01, 0x6e0};

    @Test
    void kvmclockIsEnabledOnlyByBitZeroOfEitherSystemTimeMsr() {
        assertThat(SaveableMsrs.kvmclockEnabled(INDICES, new long[] {5, 0, 0, 0})).isFalse();
        assertThat(SaveableMsrs.kvmclockEnabled(INDICES, new long[] {0, 0x1000, 0x2000, 0})).isFalse();
        assertThat(SaveableMsrs.kvmclockEnabled(INDICES, new long[] {0, 0x1001, 0, 0})).isTrue();
        assertThat(SaveableMsrs.kvmclockEnabled(INDICES, new long[] {0, 0, 0x2001, 0})).isTrue();
        assertThat(SaveableMsrs.kvmclockEnabled(new int[0], new long[0])).isFalse();
    }
}
