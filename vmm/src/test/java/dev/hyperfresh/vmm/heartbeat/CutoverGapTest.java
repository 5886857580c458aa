package dev.hyperfresh.vmm.heartbeat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperfresh.vmm.heartbeat.CutoverGap.Beat;
import dev.hyperfresh.vmm.heartbeat.CutoverGap.Figures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CutoverGapTest {
    /** 1 GHz: 1000 cycles are 1 µs. */
    private static final long KHZ = 1_000_000;
    private static final long MS = 1_000_000;
    private static final long WINDOW_US = 100_000;

    /** Heartbeats seq 0..count-1 every 10 ms from {@code tsc0}, each reporting a 1 ms loop gap. */
    private static List<Beat> steady(int cpu, int count, long tsc0) {
        List<Beat> out = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            out.add(new Beat(cpu, s, tsc0 + s * 10 * MS, MS));
        }
        return out;
    }

    /** Replaces heartbeat {@code seq}'s gap (and shifts it and all later ones by {@code stretch} cycles). */
    private static List<Beat> pauseAt(List<Beat> beats, long seq, long gap, long stretch) {
        return beats.stream().map(b -> b.seq() < seq ? b
                : new Beat(b.cpu(), b.seq(), b.tsc() + stretch, b.seq() == seq ? gap : b.gapCycles())).toList();
    }

    @Test
    void aPauseRightAfterTheCutoverIsTheGuestGapAndTheControlWindowKeepsTheBaseline() {
        List<Beat> beats = pauseAt(steady(0, 60, 5 * MS), 31, 42 * MS, 40 * MS);
        Figures f = CutoverGap.of(beats, Map.of(0, 30L), KHZ, WINDOW_US);
        assertEquals(42_000L, f.guestGapUs());
        assertEquals(1_000L, f.controlGapUs());
        assertNull(f.note());
    }

    @Test
    void theControlWindowIsTheSameGuestTimeBeforeTheCutoverAndALaterPauseIsOutsideTheCutoverWindow() {
        List<Beat> beats = new ArrayList<>(steady(0, 60, 0));
        beats.set(19, new Beat(0, 19, beats.get(19).tsc(), 7 * MS)); // 110 ms before the boundary: outside
        beats.set(21, new Beat(0, 21, beats.get(21).tsc(), 3 * MS)); // 90 ms before: inside
        beats.set(45, new Beat(0, 45, beats.get(45).tsc(), 9 * MS)); // 150 ms after: outside
        Figures f = CutoverGap.of(beats, Map.of(0, 30L), KHZ, WINDOW_US);
        assertEquals(3_000L, f.controlGapUs());
        assertEquals(1_000L, f.guestGapUs());
    }

    @Test
    void aVmsFigureIsTheLargestOverItsVcpus() {
        List<Beat> beats = new ArrayList<>(pauseAt(steady(0, 60, 0), 31, 5 * MS, 0));
        beats.addAll(pauseAt(steady(1, 60, 3 * MS), 26, 17 * MS, 10 * MS));
        beats.set(77, new Beat(1, 17, beats.get(77).tsc(), 2 * MS));
        Figures f = CutoverGap.of(beats, Map.of(0, 30L, 1, 25L), KHZ, WINDOW_US);
        assertEquals(17_000L, f.guestGapUs());
        assertEquals(2_000L, f.controlGapUs());
    }

    @Test
    void aMissingHeartbeatInAWindowLeavesThatFigureUnmeasured() {
        List<Beat> beats = new ArrayList<>(steady(0, 60, 0));
        beats.removeIf(b -> b.seq() == 33);
        Figures f = CutoverGap.of(beats, Map.of(0, 30L), KHZ, WINDOW_US);
        assertNull(f.guestGapUs());
        assertEquals(1_000L, f.controlGapUs());
        assertTrue(f.note().contains("missed heartbeat seq 33"), f.note());
        assertFalse(f.open());
    }

    @Test
    void windowsNotCoveredYetAreUnmeasuredAndSaySo() {
        List<Beat> beats = steady(0, 35, 0).subList(25, 35);
        Figures f = CutoverGap.of(beats, Map.of(0, 30L), KHZ, WINDOW_US);
        assertNull(f.guestGapUs());
        assertNull(f.controlGapUs());
        assertTrue(f.note().contains("cutover window: cpu0 sent heartbeats for only 40%"), f.note());
        assertTrue(f.open());
        Figures early = CutoverGap.of(steady(0, 60, 0), Map.of(0, 5L), KHZ, WINDOW_US);
        assertTrue(early.note().contains("had not run for a whole window"), early.note());
        assertEquals(1_000L, early.guestGapUs());
    }

    @Test
    void theTscWrappingPast2To64IsTimeGoingOn() {
        List<Beat> beats = steady(0, 60, -25 * 10 * MS - 3);
        Figures f = CutoverGap.of(pauseAt(beats, 31, 8 * MS, 0), Map.of(0, 30L), KHZ, WINDOW_US);
        assertEquals(8_000L, f.guestGapUs());
        assertEquals(1_000L, f.controlGapUs());
    }

    @Test
    void aTscGoingBackLeavesTheWindowUnmeasured() {
        List<Beat> beats = pauseAt(steady(0, 60, 500 * MS), 32, MS, -25 * MS);
        Figures f = CutoverGap.of(beats, Map.of(0, 30L), KHZ, WINDOW_US);
        assertNull(f.guestGapUs());
        assertTrue(f.note().contains("TSC go back at seq 32"), f.note());
    }

    @Test
    void withoutARateOrABoundaryNothingIsGuessed() {
        assertEquals("the guest's TSC rate is unknown",
                CutoverGap.of(steady(0, 60, 0), Map.of(0, 30L), 0, WINDOW_US).note());
        assertTrue(CutoverGap.of(steady(0, 20, 0), Map.of(0, 30L), KHZ, WINDOW_US).note()
                .contains("last heartbeat before the cutover was not seen"));
        assertEquals("no heartbeat was seen before the cutover",
                CutoverGap.of(steady(0, 20, 0), Map.of(), KHZ, WINDOW_US).note());
    }
}
