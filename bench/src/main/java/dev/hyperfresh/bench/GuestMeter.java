package dev.hyperfresh.bench;

import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.heartbeat.CutoverGap;
import dev.hyperfresh.vmm.heartbeat.Heartbeat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * hfguest's own view of a replacement: memory-worker throughput around it, and the largest pause it observed across
 * the cutover next to a control window of the same guest time before it ({@link CutoverGap}, the figures `verify`
 * reports). Heartbeats come from the instances' event streams (each tagged with the instance it came from, so the
 * old instance's last one marks the cutover) or from QEMU's debug-console file.
 */
final class GuestMeter {
    /** The guest time each side of the cutover, as `verify` uses it (engine HfvisorReplacement.GAP_WINDOW_US). */
    static final long GAP_WINDOW_US = 500_000;

    private record Beat(long at, int source, int cpu, long seq, long tsc, long pps, long gapCycles) {
    }

    private final String vm;
    private final List<Beat> beats = new ArrayList<>();
    private long tscKhz;

    GuestMeter(String vm) {
        this.vm = vm;
    }

    /** The events of instance number {@code source} (0 the first, 1 its first successor, ...). */
    Consumer<Event> from(int source) {
        return e -> {
            if (Event.HEARTBEAT.equals(e.kind()) && vm.equals(e.vm())) {
                var f = e.fields();
                synchronized (this) {
                    if (f.path("tscKhz").asLong() > 0) {
                        tscKhz = f.path("tscKhz").asLong();
                    }
                    add(new Beat(System.nanoTime(), source, f.path("cpu").asInt(), f.path("seq").asLong(),
                            f.path("tsc").asLong(), f.path("pagesPerSecond").asLong(), f.path("gapCycles").asLong()));
                }
            }
        };
    }

    /** A heartbeat read from hfguest's debug port directly (QEMU's debugcon file), arriving now. */
    synchronized void accept(Heartbeat h) {
        add(new Beat(System.nanoTime(), 0, h.cpu(), h.seq(), h.tsc(), h.pagesPerSecond(), h.gapCycles()));
    }

    /** The guest's TSC rate from its boot line ({@code INFO boot tsc_khz=}), where no event carries it. */
    synchronized void tscKhz(long khz) {
        tscKhz = khz;
    }

    private void add(Beat b) {
        beats.add(b);
        notifyAll();
    }

    synchronized void awaitBeats(int count, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        int target = beats.size() + count;
        while (beats.size() < target) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new IllegalStateException("no heartbeats from VM " + vm + " for " + timeoutMs + " ms");
            }
            wait(left);
        }
    }

    /** Summed pages/s of all vCPUs, averaged over heartbeats that arrived in [from, to) (System.nanoTime). */
    synchronized long pagesPerSecond(long from, long to) {
        List<Beat> in = beats.stream().filter(b -> b.at >= from && b.at < to && b.pps > 0).toList();
        long cpus = in.stream().mapToInt(Beat::cpu).distinct().count();
        return in.isEmpty() ? 0 : (long) (in.stream().mapToLong(Beat::pps).average().orElse(0) * cpus);
    }

    /** The figures for a cutover right after instance {@code source}'s last heartbeats. */
    synchronized CutoverGap.Figures cutoverAfter(int source) {
        return figures(beats.stream().filter(b -> b.source == source).toList());
    }

    /** The figures for a cutover after the last heartbeats that arrived before {@code nanos} (System.nanoTime). */
    synchronized CutoverGap.Figures cutoverAfterArrivalsBefore(long nanos) {
        return figures(beats.stream().filter(b -> b.at < nanos).toList());
    }

    private CutoverGap.Figures figures(List<Beat> before) {
        Map<Integer, Long> boundary = new HashMap<>();
        before.forEach(b -> boundary.merge(b.cpu, b.seq, Math::max));
        return CutoverGap.of(beats.stream().map(b -> new CutoverGap.Beat(b.cpu, b.seq, b.tsc, b.gapCycles)).toList(),
                boundary, tscKhz, GAP_WINDOW_US);
    }

    /** µs, or -1 where unmeasured, as the result files write it. */
    static long orUnmeasured(Long us) {
        return us == null ? -1 : us;
    }
}
