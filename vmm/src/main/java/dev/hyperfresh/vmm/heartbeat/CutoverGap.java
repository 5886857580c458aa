package dev.hyperfresh.vmm.heartbeat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The largest pause a guest itself observed across a cutover, next to the same figure over a control window of
 * the same length just before it, both from hfguest's heartbeats of one VM (the largest over its vCPUs).
 *
 * <p>The measure is each heartbeat's {@code gap} field: the largest TSC delta between two iterations of the
 * guest's loop since its previous heartbeat (guests/hfguest/HEARTBEAT.md). It sees a pause wherever it lands and
 * at TSC resolution. The spacing of consecutive heartbeats' {@code tsc} stamps does not: heartbeats are due on a
 * {@code hb_ms} grid, so a pause shorter than the time left to the next one does not move it at all, and a longer
 * one shows only as lateness. Both include printing a line (an iteration that writes a heartbeat is one
 * iteration), so the control window carries the same printing cost and the difference is the cutover's.
 *
 * <p>Per vCPU, {@code b} is its last heartbeat before the cutover. The cutover window is the guest time
 * {@code (tsc(b), tsc(b) + window]}: heartbeats {@code b+1 .. m}, {@code m} the first one at or past its end (each
 * heartbeat's gap covers the time since the one before). The control window is {@code (tsc(b) - window, tsc(b)]}:
 * heartbeats {@code j .. b}, {@code j - 1} the last one at or before its start. A window counts only when every
 * heartbeat in it was seen, its end was reached, and the TSC only went forward (wrapping past 2^64 is forward);
 * otherwise its figure is null and {@code note} says why — never a guess.
 */
public final class CutoverGap {
    private CutoverGap() {
    }

    /** One heartbeat as this computation needs it. */
    public record Beat(int cpu, long seq, long tsc, long gapCycles) {
        public static Beat of(Heartbeat h) {
            return new Beat(h.cpu(), h.seq(), h.tsc(), h.gapCycles());
        }
    }

    /**
     * Microseconds, null where the window could not be measured ({@code note} says why; null when both are).
     * {@code open}: the cutover window lacks only heartbeats still to come, so waiting may complete it.
     */
    public record Figures(Long guestGapUs, Long controlGapUs, String note, boolean open) {
        public static Figures unmeasured(String why) {
            return new Figures(null, null, why, false);
        }
    }

    /**
     * {@code beats}: one VM's heartbeats seen before and after the cutover, any order, repeats allowed;
     * {@code lastSeqBefore}: per vCPU, the last heartbeat before the cutover; {@code tscKhz}: the guest's TSC rate.
     */
    public static Figures of(List<Beat> beats, Map<Integer, Long> lastSeqBefore, long tscKhz, long windowUs) {
        if (tscKhz <= 0) {
            return Figures.unmeasured("the guest's TSC rate is unknown");
        }
        if (lastSeqBefore.isEmpty()) {
            return Figures.unmeasured("no heartbeat was seen before the cutover");
        }
        long windowCycles = windowUs * tscKhz / 1000;
        Map<Integer, TreeMap<Long, Beat>> byCpu = new TreeMap<>();
        for (Beat b : beats) {
            byCpu.computeIfAbsent(b.cpu(), c -> new TreeMap<>()).putIfAbsent(b.seq(), b);
        }
        Window guest = new Window();
        Window control = new Window();
        for (Map.Entry<Integer, Long> e : new TreeMap<>(lastSeqBefore).entrySet()) {
            TreeMap<Long, Beat> seen = byCpu.getOrDefault(e.getKey(), new TreeMap<>());
            Beat boundary = seen.get(e.getValue());
            if (boundary == null) {
                return Figures.unmeasured("cpu" + e.getKey() + "'s last heartbeat before the cutover was not seen");
            }
            guest.add(e.getKey(), after(seen, boundary, windowCycles));
            control.add(e.getKey(), before(seen, boundary, windowCycles));
        }
        String note = guest.problem != null ? "cutover window: " + guest.problem
                : control.problem != null ? "control window: " + control.problem : null;
        return new Figures(guest.micros(tscKhz), control.micros(tscKhz), note, guest.open);
    }

    /** The largest gap of one vCPU's window, or why there is none ({@code open}: its end is still to come). */
    private record Span(long maxGap, String problem, boolean open) {
        Span(long maxGap, String problem) {
            this(maxGap, problem, false);
        }
    }

    private static final class Window {
        long maxGap;
        String problem;
        boolean open;

        void add(int cpu, Span s) {
            if (s.problem != null && problem == null) {
                problem = "cpu" + cpu + " " + s.problem;
            }
            open |= s.open;
            maxGap = Math.max(maxGap, s.maxGap);
        }

        Long micros(long tscKhz) {
            return problem != null ? null : maxGap * 1000 / tscKhz;
        }
    }

    private static Span after(TreeMap<Long, Beat> seen, Beat boundary, long windowCycles) {
        long maxGap = 0;
        Beat prev = boundary;
        for (long seq = boundary.seq() + 1; ; seq++) {
            Beat b = seen.get(seq);
            if (b == null) {
                return seen.higherKey(seq) != null ? new Span(0, "missed heartbeat seq " + seq)
                        : new Span(0, "sent heartbeats for only " + share(prev.tsc() - boundary.tsc(), windowCycles)
                                + " of the window", true);
            }
            if (b.tsc() - prev.tsc() < 0) {
                return new Span(0, "saw its TSC go back at seq " + seq);
            }
            maxGap = Math.max(maxGap, b.gapCycles());
            if (Long.compareUnsigned(b.tsc() - boundary.tsc(), windowCycles) >= 0) {
                return new Span(maxGap, null);
            }
            prev = b;
        }
    }

    private static Span before(TreeMap<Long, Beat> seen, Beat boundary, long windowCycles) {
        long maxGap = 0;
        Beat next = boundary;
        for (long seq = boundary.seq(); ; seq--) {
            Beat b = seen.get(seq);
            if (b == null) {
                return new Span(0, seq < 0 ? "had not run for a whole window before the cutover"
                        : seen.lowerKey(seq) != null ? "missed heartbeat seq " + seq
                        : "was watched for only " + share(boundary.tsc() - next.tsc(), windowCycles)
                                + " before the cutover");
            }
            if (next.tsc() - b.tsc() < 0) {
                return new Span(0, "saw its TSC go back at seq " + next.seq());
            }
            if (Long.compareUnsigned(boundary.tsc() - b.tsc(), windowCycles) >= 0) {
                return new Span(maxGap, null);
            }
            maxGap = Math.max(maxGap, b.gapCycles());
            next = b;
        }
    }

    /** A part of the window, as a fraction a reader can judge. */
    private static String share(long cycles, long windowCycles) {
        return (windowCycles == 0 ? 100 : Long.compareUnsigned(cycles, windowCycles) >= 0 ? 100
                : cycles * 100 / windowCycles) + "%";
    }
}
