package dev.hyperfresh.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.heartbeat.Heartbeat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BeatLogTest {
    private static final int KHZ = 1_000_000; // 1000 cycles per µs
    private static final long MS = 1_000_000;

    /** hfguest heartbeats of {@code vm}'s vCPU {@code cpu}, seq from..to-1, every 10 ms, each with a 1 ms gap. */
    private static void beats(BeatLog log, String vm, int cpu, int from, int to, Integer tscKhz) {
        for (int seq = from; seq < to; seq++) {
            Heartbeat h = new Heartbeat(cpu, seq, seq * 10 * MS, seq, 100, 0, 0, seq == 31 ? 12 * MS : MS, 0, 0);
            log.accept(tscKhz == null ? Event.heartbeat(vm, h) : Event.heartbeat(vm, h, tscKhz));
        }
    }

    @Test
    void oldAndNewInstancesHeartbeatsMakeEachVmsFigures() {
        BeatLog before = new BeatLog(Integer.MAX_VALUE);
        BeatLog after = new BeatLog(4096);
        beats(before, "a", 0, 0, 31, KHZ);
        beats(before, "a", 1, 0, 31, KHZ);
        beats(before, "b", 0, 0, 31, null);
        assertThat(before.controlWindowFilled(100_000)).as("b's rate is unknown yet").isFalse();
        beats(after, "a", 0, 31, 60, KHZ);
        beats(after, "a", 1, 31, 60, KHZ);
        beats(after, "b", 0, 31, 60, KHZ);
        var boundary = before.lastSeqs();
        assertThat(boundary).isEqualTo(Map.of("a", Map.of(0, 30L, 1, 30L), "b", Map.of(0, 30L)));
        List<GuestGap> gaps = BeatLog.gaps(BeatLog.figures(before, boundary, after, 100_000));
        assertThat(gaps).containsExactly(new GuestGap("a", 12_000L, 1_000L, null),
                new GuestGap("b", 12_000L, 1_000L, null));
        assertThat(GuestGap.maxGuestGapUs(gaps)).isEqualTo(12_000L);
    }

    @Test
    void theControlWindowIsFilledOnceAWindowOfHeartbeatsArrived() {
        BeatLog log = new BeatLog(Integer.MAX_VALUE);
        assertThat(log.controlWindowFilled(100_000)).isFalse();
        beats(log, "a", 0, 0, 5, KHZ);
        assertThat(log.controlWindowFilled(100_000)).isFalse();
        beats(log, "a", 0, 5, 12, KHZ);
        assertThat(log.controlWindowFilled(100_000)).isTrue();
    }

    @Test
    void aLinuxTestGuestIsReportedUnmeasuredWithTheReason() {
        BeatLog before = new BeatLog(Integer.MAX_VALUE);
        BeatLog after = new BeatLog(4096);
        before.accept(Event.console("lx", "LINUXHB seq=7 uptime=37.02"));
        assertThat(before.controlWindowFilled(100_000)).isTrue();
        after.accept(Event.console("lx", "LINUXHB seq=8 uptime=38.02"));
        List<GuestGap> gaps = BeatLog.gaps(BeatLog.figures(before, before.lastSeqs(), after, 100_000));
        assertThat(gaps).singleElement().satisfies(g -> {
            assertThat(g.guestGapUs()).isNull();
            assertThat(g.note()).contains("no TSC stamp");
        });
        assertThat(GuestGap.maxGuestGapUs(gaps)).isNull();
    }

    @Test
    void onlyTheFirstHeartbeatsAfterACutoverAreKept() {
        BeatLog after = new BeatLog(3);
        beats(after, "a", 0, 31, 40, KHZ);
        assertThat(after.lastSeqs()).isEqualTo(Map.of("a", Map.of(0, 33L)));
    }
}
