package dev.hyperfresh.qemu.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.heartbeat.GuestLineParser;
import dev.hyperfresh.vmm.heartbeat.Heartbeat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** hfguest's debug-port log, which every QEMU of a VM appends to: the oracle of the replacement tests. */
public record HeartbeatLog(Path file, int cpus) {
    /** Complete lines only: QEMU writes byte by byte, the last line may be half written. */
    public List<GuestLine> lines() {
        try {
            String text = Files.readString(file);
            String complete = text.substring(0, text.lastIndexOf('\n') + 1);
            List<GuestLine> lines = new ArrayList<>();
            complete.lines().filter(l -> !l.isBlank()).forEach(l -> lines.add(GuestLineParser.parse(l)));
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long heartbeats(int cpu) {
        return lines().stream().filter(l -> l.is(GuestLine.HEARTBEAT)).filter(l -> l.number("cpu") == cpu).count();
    }

    /** Waits until every vCPU has printed {@code more} heartbeats beyond what it had: the guest is running. */
    public void awaitProgress(int more, Duration timeout) {
        long[] start = new long[cpus];
        for (int c = 0; c < cpus; c++) {
            start[c] = heartbeats(c);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int c = 0; c < cpus; c++) {
            while (heartbeats(c) < start[c] + more) {
                assertThat(System.nanoTime()).as("cpu %d stuck at %d heartbeats", c, heartbeats(c)).isLessThan(deadline);
                sleep();
            }
        }
    }

    /** Every heartbeat of every vCPU exactly once and in order, no error or panic line, zero guest error counts. */
    public void assertClean() {
        assertCleanBut(line -> false);
    }

    /**
     * The same, but for the canary error lines {@code emulators} says are an emulator's own doing (not a
     * replacement's), each counted once in its vCPU's canary errors.
     */
    public void assertCleanBut(Predicate<GuestLine> emulators) {
        long[] next = new long[cpus];
        long[] excused = new long[cpus];
        for (GuestLine line : lines()) {
            if (line.is(GuestLine.ERROR) && emulators.test(line)) {
                excused[(int) line.number("cpu")]++;
                continue;
            }
            assertThat(line.kind()).as("guest reported: %s", line.text()).isNotIn(GuestLine.ERROR, GuestLine.PANIC);
            if (line.is(GuestLine.HEARTBEAT)) {
                Heartbeat hb = line.heartbeat();
                assertThat(hb.seq()).as("cpu %d heartbeat after seq %d: %s", hb.cpu(), next[hb.cpu()] - 1, line.text())
                        .isEqualTo(next[hb.cpu()]);
                assertThat(hb.memoryErrors()).as(line.text()).isZero();
                assertThat(hb.canaryErrors()).as(line.text()).isEqualTo(excused[hb.cpu()]);
                next[hb.cpu()]++;
            }
        }
        for (int c = 0; c < cpus; c++) {
            assertThat(next[c]).as("heartbeats of cpu %d", c).isPositive();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
