package dev.hyperfresh.bench;

import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.heartbeat.Heartbeat;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** hfguest's own view of a replacement: memory-worker throughput around it and the largest loop gap it saw. */
final class GuestMeter implements Consumer<Event> {
    private static final int HB_MS = 10;

    private record Beat(long at, int cpu, long seq, long tsc, long pps, long gapCycles) {
    }

    private final String vm;
    private final List<Beat> beats = new ArrayList<>();

    GuestMeter(String vm) {
        this.vm = vm;
    }

    @Override
    public synchronized void accept(Event e) {
        if (Event.HEARTBEAT.equals(e.kind()) && vm.equals(e.vm())) {
            var f = e.fields();
            add(new Beat(System.nanoTime(), f.path("cpu").asInt(), f.path("seq").asLong(), f.path("tsc").asLong(),
                    f.path("pagesPerSecond").asLong(), f.path("gapCycles").asLong()));
        }
    }

    /** A heartbeat read from hfguest's debug port directly (QEMU's debugcon file), arriving now. */
    synchronized void accept(Heartbeat h) {
        add(new Beat(System.nanoTime(), h.cpu(), h.seq(), h.tsc(), h.pagesPerSecond(), h.gapCycles()));
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

    /** The largest loop gap (µs) hfguest reported in heartbeats that arrived after {@code since}. */
    synchronized long gapMicrosSince(long since) {
        long khz = tscKhz();
        long cycles = beats.stream().filter(b -> b.at >= since).mapToLong(Beat::gapCycles).max().orElse(0);
        return khz <= 0 ? -1 : cycles * 1000 / khz;
    }

    /** The guest TSC rate, from consecutive heartbeats of one vCPU (they are HB_MS of guest time apart). */
    private long tscKhz() {
        List<Long> rates = new ArrayList<>();
        for (int i = 1; i < beats.size(); i++) {
            for (int j = i - 1; j >= 0 && j >= i - 8; j--) {
                Beat a = beats.get(j);
                Beat b = beats.get(i);
                if (a.cpu == b.cpu && b.seq == a.seq + 1) {
                    rates.add((b.tsc - a.tsc) / HB_MS);
                    break;
                }
            }
        }
        return rates.isEmpty() ? -1 : rates.stream().sorted().toList().get(rates.size() / 2);
    }
}
