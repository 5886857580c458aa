package dev.hyperfresh.vmm.handover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.vmm.control.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What guests/linux's init printed on one VM's serial console (LINUXHB heartbeats, memcheck results), from
 * whichever instance ran it: the Linux guest's oracle across handovers.
 */
final class LinuxConsoleTrail implements Consumer<Event> {
    private static final Pattern HEARTBEAT = Pattern.compile("LINUXHB seq=(\\d+) uptime=([0-9.]+)");

    private final String vm;
    private final List<Long> seqs = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private double lastUptime = -1;

    LinuxConsoleTrail(String vm) {
        this.vm = vm;
    }

    @Override
    public synchronized void accept(Event e) {
        if (e.vm() != null && !vm.equals(e.vm())) {
            return;   // events for no VM (a "dropped" notice) concern every VM
        }
        if (Event.DROPPED.equals(e.kind())) {
            problems.add("events were dropped: " + e.fields());
        }
        if (!Event.CONSOLE.equals(e.kind())) {
            return;
        }
        String text = e.fields().path("text").asText();
        Matcher m = HEARTBEAT.matcher(text);
        if (m.find()) {
            seqs.add(Long.parseLong(m.group(1)));
            double uptime = Double.parseDouble(m.group(2));
            if (uptime < lastUptime) {
                problems.add("uptime went back from " + lastUptime + " to " + uptime);
            }
            lastUptime = Math.max(lastUptime, uptime);
        } else if (text.contains("memcheck FAIL") || text.contains("Kernel panic") || text.contains("Oops")) {
            problems.add(text);
        }
        notifyAll();
    }

    synchronized long lastSeq() {
        return seqs.isEmpty() ? -1 : seqs.get(seqs.size() - 1);
    }

    synchronized void awaitHeartbeats(int count, Duration timeout) throws InterruptedException {
        awaitUntil(() -> seqs.size() >= count, count + " heartbeats", timeout);
    }

    synchronized void awaitSeq(long seq, Duration timeout) throws InterruptedException {
        awaitUntil(() -> lastSeq() >= seq, "heartbeat seq " + seq, timeout);
    }

    private void awaitUntil(BooleanSupplier done, String what, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            assertThat(left).as("%s of %s (have %s)", what, vm, seqs).isPositive();
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /**
     * Heartbeats strictly increasing (a repeat would mean two instances ran the guest), no memcheck failure, no
     * panic. A gap is not judged: the kernel's own messages share the console and may garble a line.
     */
    synchronized void assertIntact() {
        assertThat(problems).as("guest problems of %s", vm).isEmpty();
        for (int i = 1; i < seqs.size(); i++) {
            assertThat(seqs.get(i)).as("heartbeat after seq %d of %s", seqs.get(i - 1), vm)
                    .isGreaterThan(seqs.get(i - 1));
        }
    }
}
