package dev.hyperfresh.vmm.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CmosRtcTest {
    private final CmosRtc rtc = new CmosRtc(Clock.fixed(Instant.parse("2026-11-25T19:07:58Z"), ZoneOffset.UTC));

    private int reg(int index) {
        rtc.write(0x70, 1, index);
        return rtc.read(0x71, 1);
    }

    @Test
    void readsTheHostTimeInBcdWith24Hours() {
        assertThat(new int[] {reg(0), reg(2), reg(4), reg(7), reg(8), reg(9), reg(0x32)})
                .containsExactly(0x58, 0x07, 0x19, 0x25, 0x11, 0x26, 0x20);
        assertThat(reg(6)).as("Wednesday, Sunday = 1").isEqualTo(4);
    }

    @Test
    void neverReportsAnUpdateInProgressAndTheBatteryIsGood() {
        assertThat(reg(0x0a) & 0x80).isZero();
        assertThat(reg(0x0d)).isEqualTo(0x80);
    }

    @Test
    void statusBSelectsBinaryAnd12HourFormats() {
        rtc.write(0x70, 1, 0x0b);
        rtc.write(0x71, 1, 0x06);
        assertThat(reg(0)).isEqualTo(58);
        assertThat(reg(4)).isEqualTo(19);
        rtc.write(0x70, 1, 0x0b);
        rtc.write(0x71, 1, 0x00);
        assertThat(reg(4)).as("7 PM in BCD").isEqualTo(0x87);
    }

    @Test
    void otherRegistersAreRamAndTheNmiBitIsNotPartOfTheIndex() {
        rtc.write(0x70, 1, 0x8f);
        rtc.write(0x71, 1, 0x0a);
        assertThat(reg(0x0f)).isEqualTo(0x0a);
        rtc.write(0x70, 1, 0x00);
        rtc.write(0x71, 1, 0x11);
        assertThat(reg(0)).as("time is not writable").isEqualTo(0x58);
    }

    @Test
    void ramAndIndexRoundTripWhileTheTimeStaysTheHosts() {
        rtc.write(0x70, 1, 0x0b);
        rtc.write(0x71, 1, 0x06);
        rtc.write(0x70, 1, 0x0f);
        rtc.write(0x71, 1, 0x0a);
        rtc.write(0x70, 1, 0x04);
        byte[] saved = rtc.saveState();

        CmosRtc moved = new CmosRtc(Clock.fixed(Instant.parse("2026-11-25T21:00:00Z"), ZoneOffset.UTC));
        moved.restoreState(saved);
        assertThat(moved.saveState()).isEqualTo(saved);
        assertThat(moved.read(0x71, 1)).as("the selected index moved; binary from status B; host time")
                .isEqualTo(21);
        moved.write(0x70, 1, 0x0f);
        assertThat(moved.read(0x71, 1)).as("the warm-reset code").isEqualTo(0x0a);
    }

    @Test
    void refusesForeignTruncatedNewerOrOverlongState() {
        byte[] saved = rtc.saveState();
        assertThatThrownBy(() -> rtc.restoreState(new byte[135])).hasMessageContaining("not a CmosRtc state");
        assertThatThrownBy(() -> rtc.restoreState(Arrays.copyOf(saved, saved.length - 1)))
                .hasMessageContaining("truncated");
        byte[] newer = saved.clone();
        newer[5] = 2;
        assertThatThrownBy(() -> rtc.restoreState(newer)).hasMessageContaining("version 2, this build reads 1");
        assertThatThrownBy(() -> rtc.restoreState(Arrays.copyOf(saved, saved.length + 1)))
                .hasMessageContaining("wrong length");
    }
}
