package dev.hyperfresh.vmm.handover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.vmm.control.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Every heartbeat and guest line one VM sent, from whichever instance ran it: hfguest's oracle across handovers.
 * Subscriptions to the old and the new instance both feed it, so order of arrival does not matter.
 */
final class HeartbeatTrail implements Consumer<Event> {
    private final String vm;
    private final Map<Integer, List<Long>> seqs = new TreeMap<>();
    private final List<String> problems = new ArrayList<>();
    private long maxGapCycles;
    private long lastTicks;
    private int lostAllowed;

    HeartbeatTrail(String vm) {
        this.vm = vm;
    }

    @Override
    public synchronized void accept(Event e) {
        if (e.vm() != null && !vm.equals(e.vm())) {
            return;
        }
        switch (e.kind()) {
            case Event.HEARTBEAT -> {
                var f = e.fields();
                seqs.computeIfAbsent(f.path("cpu").asInt(), c -> new ArrayList<>()).add(f.path("seq").asLong());
                if (f.path("memoryErrors").asLong() + f.path("canaryErrors").asLong() + f.path("tscBackwards")
                        .asLong() != 0) {
                    problems.add("guest reports errors: " + f);
                }
                maxGapCycles = Math.max(maxGapCycles, f.path("gapMaxCycles").asLong());
                lastTicks = Math.max(lastTicks, f.path("ticks").asLong());
            }
            case Event.GUEST_LINE -> {
                String type = e.fields().path("type").asText();
                if (type.equals("ERR") || type.equals("PANIC")) {
                    problems.add(e.fields().path("text").asText());
                }
            }
            case Event.DROPPED -> problems.add("events were dropped: " + e.fields());
            default -> {
            }
        }
        notifyAll();
    }

    synchronized int count(int cpu) {
        return seqs.getOrDefault(cpu, List.of()).size();
    }

    /** Waits for {@code more} heartbeats from every one of {@code cpus} beyond what has arrived so far. */
    synchronized void awaitMore(int cpus, int more, Duration timeout) throws InterruptedException {
        int[] base = new int[cpus];
        for (int c = 0; c < cpus; c++) {
            base[c] = count(c);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean done = true;
            for (int c = 0; c < cpus; c++) {
                done &= count(c) >= base[c] + more;
            }
            if (done) {
                return;
            }
            long left = deadline - System.nanoTime();
            assertThat(left).as("%d more heartbeats per vCPU of %s (have %s)", more, vm, seqs).isPositive();
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /**
     * An instance was SIGKILLed while it ran the VM: the heartbeat events it had queued for its subscribers but not
     * yet sent died with it (the guest's next heartbeat shows the gap; the guest itself lost nothing), so up to
     * {@code beats} per vCPU may be missing from here on. None may ever be duplicated.
     */
    synchronized void allowLostAtKill(int beats) {
        lostAllowed += beats;
    }

    /**
     * Every vCPU's heartbeat sequence numbers, from first to last, each present exactly once (but those an instance
     * killed while running the VM may have taken with it: {@link #allowLostAtKill}); no guest error.
     */
    synchronized void assertIntact(int cpus) {
        assertThat(problems).as("guest problems of %s", vm).isEmpty();
        assertThat(seqs.keySet()).as("vCPUs heard from").hasSize(cpus);
        seqs.forEach((cpu, list) -> {
            List<Long> sorted = list.stream().sorted().toList();
            long first = sorted.get(0);
            int missing = 0;
            for (int i = 1; i < sorted.size(); i++) {
                long step = sorted.get(i) - sorted.get(i - 1);
                assertThat(step).as("vCPU %d heartbeat #%d of %s (from seq %d): duplicated", cpu, sorted.get(i), vm,
                        first).isPositive();
                missing += (int) (step - 1);
            }
            assertThat(missing).as("vCPU %d of %s: heartbeats missing between %d and %d (%s)", cpu, vm, first,
                    sorted.get(sorted.size() - 1), sorted).isLessThanOrEqualTo(lostAllowed);
        });
    }

    synchronized long maxGapCycles() {
        return maxGapCycles;
    }
}
