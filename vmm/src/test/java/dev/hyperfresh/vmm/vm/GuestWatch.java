package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.heartbeat.Heartbeat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Collects hfguest's lines from a VM and checks its oracles: contiguous heartbeats, no errors, timer ticking. */
final class GuestWatch implements Consumer<GuestLine> {
    private final List<GuestLine> lines = new ArrayList<>();

    @Override
    public synchronized void accept(GuestLine line) {
        lines.add(line);
        notifyAll();
    }

    synchronized List<GuestLine> lines() {
        return List.copyOf(lines);
    }

    /** The heartbeats of {@code cpu} since the guest's latest boot. */
    synchronized List<Heartbeat> heartbeats(int cpu) {
        return heartbeatsOfBoot(boots() - 1, cpu);
    }

    /** How many times the guest booted (its boot lines). */
    synchronized int boots() {
        return (int) lines.stream().filter(l -> l.is(GuestLine.BOOT)).count();
    }

    /** The heartbeats of {@code cpu} between boot line {@code boot} (from 0) and the next. */
    synchronized List<Heartbeat> heartbeatsOfBoot(int boot, int cpu) {
        List<Heartbeat> out = new ArrayList<>();
        int seen = -1;
        for (GuestLine l : lines) {
            if (l.is(GuestLine.BOOT)) {
                seen++;
            } else if (seen == boot && l.is(GuestLine.HEARTBEAT) && l.heartbeat().cpu() == cpu) {
                out.add(l.heartbeat());
            }
        }
        return out;
    }

    /** Waits until the guest has booted {@code count} times in all. */
    synchronized void awaitBoots(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (boots() < count) {
            long left = deadline - System.nanoTime();
            assertThat(left).as("waiting for boot #%d; guest said: %s", count, tail()).isPositive();
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Waits until every one of {@code cpus} has sent {@code count} more heartbeats than now. */
    synchronized void awaitHeartbeats(int cpus, int count, Duration timeout) throws InterruptedException {
        Map<Integer, Integer> start = new HashMap<>();
        for (int c = 0; c < cpus; c++) {
            start.put(c, heartbeats(c).size());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean done = true;
            for (int c = 0; c < cpus; c++) {
                done &= heartbeats(c).size() >= start.get(c) + count;
            }
            if (done) {
                return;
            }
            long left = deadline - System.nanoTime();
            assertThat(left).as("waiting for %d heartbeats per cpu; guest said: %s", count, tail()).isPositive();
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /**
     * Waits until no line has come for {@code quiet}: with the VM paused, until the lines its vCPUs wrote before the
     * pause have all been published (one thread per VM publishes them, behind the guest under load).
     */
    synchronized void awaitQuiet(Duration quiet) throws InterruptedException {
        int seen = -1;
        while (lines.size() != seen) {
            seen = lines.size();
            long deadline = System.nanoTime() + quiet.toNanos();
            for (long left = quiet.toMillis(); left > 0 && lines.size() == seen;
                 left = (deadline - System.nanoTime()) / 1_000_000) {
                wait(left);
            }
        }
    }

    synchronized long tscKhz() {
        return lines.stream().filter(l -> l.is("INFO") && l.fields().containsKey("tsc_khz")).findFirst()
                .orElseThrow(() -> new AssertionError("no INFO boot line: " + tail())).number("tsc_khz");
    }

    /**
     * The guest's own verdict so far: booted, no error of any kind, and since its latest boot every heartbeat
     * present once, timer ticking.
     */
    synchronized void assertHealthy(int cpus) {
        assertThat(lines).as("boot line").anyMatch(l -> l.is(GuestLine.BOOT) && l.number("cpus") == cpus);
        assertThat(lines).as("error or panic lines").noneMatch(l -> l.is(GuestLine.ERROR) || l.is(GuestLine.PANIC));
        assertBootHealthy(boots() - 1, cpus);
    }

    /** Boot {@code boot} (from 0) as hfguest saw it: every CPU's heartbeats present once, timer ticking, no error. */
    synchronized void assertBootHealthy(int boot, int cpus) {
        for (int c = 0; c < cpus; c++) {
            List<Heartbeat> hb = heartbeatsOfBoot(boot, c);
            assertThat(hb).as("heartbeats of boot %d cpu %d", boot, c).isNotEmpty();
            for (int i = 0; i < hb.size(); i++) {
                assertThat(hb.get(i).seq()).as("boot %d cpu %d heartbeat #%d", boot, c, i).isEqualTo(i);
                assertThat(hb.get(i).memoryErrors()).as("memory errors boot %d cpu %d", boot, c).isZero();
                assertThat(hb.get(i).canaryErrors()).as("canary errors boot %d cpu %d", boot, c).isZero();
            }
            Heartbeat last = hb.get(hb.size() - 1);
            assertThat(last.tscBackwards()).as("TSC went backwards on cpu %d", c).isZero();
            assertThat(last.ticks()).as("timer ticks cpu %d", c).isGreaterThan(hb.get(0).ticks());
        }
    }

    synchronized String tail() {
        return lines.subList(Math.max(0, lines.size() - 5), lines.size()).toString();
    }
}
