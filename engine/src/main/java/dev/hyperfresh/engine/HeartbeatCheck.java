package dev.hyperfresh.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.sys.Nice;
import dev.hyperfresh.vmm.control.Event;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Checks a stream of hfguest heartbeats, per VM and cpu: every sequence number once and in order, continuing
 * past the last one seen before (a cutover), timer ticks advancing, the TSC never going back, and the guest's own
 * error counters at zero (guests/hfguest/HEARTBEAT.md). A Linux test guest's console heartbeats count as one
 * sequence per VM ({@link LinuxConsoleBeats}).
 */
final class HeartbeatCheck {
    private final Map<String, Long> lastSeqBefore;
    private final Map<String, Cpu> cpus = new LinkedHashMap<>();
    private int heartbeats;
    private long dropped;

    private static final class Cpu {
        long firstSeq = -1;
        long lastSeq = -1;
        long firstTicks;
        long lastTicks;
        long lastTsc;
        long gaps;
        long duplicates;
        long tscBackwards;
        long memoryErrors;
        long canaryErrors;
    }

    /** {@code lastSeqBefore}: per {@link #key} the last sequence number seen before the window, if any. */
    HeartbeatCheck(Map<String, Long> lastSeqBefore) {
        this.lastSeqBefore = Map.copyOf(lastSeqBefore);
    }

    static String key(String vm, int cpu) {
        return vm + "/cpu" + cpu;
    }

    synchronized void accept(Event event) {
        if (Event.DROPPED.equals(event.kind())) {
            dropped += event.fields().path("count").asLong();
            return;
        }
        if (LinuxConsoleBeats.selfCheckFailed(event)) {
            cpus.computeIfAbsent(LinuxConsoleBeats.key(event.vm()), k -> new Cpu()).memoryErrors++;
            return;
        }
        LinuxConsoleBeats.heartbeat(event).ifPresent(b -> record(LinuxConsoleBeats.key(event.vm()), b.seq(),
                b.uptimeCentis(), b.uptimeCentis(), false));
        if (!Event.HEARTBEAT.equals(event.kind())) {
            return;
        }
        JsonNode f = event.fields();
        Cpu c = record(key(event.vm(), f.path("cpu").asInt()), f.path("seq").asLong(), f.path("ticks").asLong(),
                f.path("tsc").asLong(), true);
        c.tscBackwards = Math.max(c.tscBackwards, f.path("tscBackwards").asLong());
        c.memoryErrors = Math.max(c.memoryErrors, f.path("memoryErrors").asLong());
        c.canaryErrors = Math.max(c.canaryErrors, f.path("canaryErrors").asLong());
    }

    /**
     * One heartbeat of the sequence {@code key}: counted, checked against the last, remembered. Gaps are not judged
     * where the line shares its console with others' output ({@code gapsCount} false): a garbled line is no loss.
     */
    private Cpu record(String key, long seq, long ticks, long tsc, boolean gapsCount) {
        heartbeats++;
        Cpu c = cpus.computeIfAbsent(key, k -> new Cpu());
        if (c.lastSeq < 0) {
            c.firstSeq = seq;
            c.firstTicks = ticks;
        } else {
            if (seq <= c.lastSeq) {
                c.duplicates++;
            } else if (seq > c.lastSeq + 1 && gapsCount) {
                c.gaps += seq - c.lastSeq - 1;
            }
            if (Long.compareUnsigned(tsc, c.lastTsc) < 0) {
                c.tscBackwards++;
            }
        }
        c.lastSeq = Math.max(seq, c.lastSeq);
        c.lastTsc = tsc;
        c.lastTicks = ticks;
        return c;
    }

    /** True once every cpu seen (and every cpu seen before) has at least {@code n} heartbeats. */
    synchronized boolean everyCpuHas(int n) {
        if (cpus.isEmpty() || !cpus.keySet().containsAll(lastSeqBefore.keySet())) {
            return false;
        }
        return cpus.values().stream().allMatch(c -> c.lastSeq - c.firstSeq + 1 >= n);
    }

    /**
     * The verdict; {@code gaps}: the last cutover as the guests saw it, if one was watched, and {@code blackoutUs}
     * its blackout (null without).
     */
    synchronized Verification result(long windowMs, List<GuestGap> gaps, Long blackoutUs) {
        List<String> problems = new ArrayList<>();
        long seqGaps = 0;
        long duplicates = 0;
        long back = 0;
        long merr = 0;
        long cerr = 0;
        boolean ticks = !cpus.isEmpty();
        for (String missing : lastSeqBefore.keySet()) {
            if (!cpus.containsKey(missing)) {
                problems.add(missing + " sent no heartbeat after the cutover");
            }
        }
        for (Map.Entry<String, Cpu> e : cpus.entrySet()) {
            Cpu c = e.getValue();
            Long before = lastSeqBefore.get(e.getKey());
            if (before != null && c.firstSeq <= before) {
                problems.add(e.getKey() + " restarted its heartbeats at seq " + c.firstSeq + " after " + before
                        + ": the guest did not continue");
            }
            if (c.lastTicks <= c.firstTicks) {
                ticks = false;
                problems.add(e.getKey() + " timer ticks did not advance (" + c.firstTicks + " → " + c.lastTicks + ")");
            }
            seqGaps += c.gaps;
            duplicates += c.duplicates;
            back += c.tscBackwards;
            merr += c.memoryErrors;
            cerr += c.canaryErrors;
        }
        if (heartbeats == 0) {
            problems.add("no heartbeat arrived in " + windowMs + " ms");
        }
        addIf(problems, seqGaps, "heartbeat sequence numbers missing");
        addIf(problems, duplicates, "heartbeat sequence numbers repeated or out of order");
        addIf(problems, back, "times the guest saw its TSC go backwards");
        addIf(problems, merr, "memory errors reported by the guest");
        addIf(problems, cerr, "register canary errors reported by the guest");
        addIf(problems, dropped, "events dropped by the control socket, so continuity is unproven"
                + starvedConsole());
        return new Verification(heartbeats, cpus.size(), seqGaps, duplicates, merr, cerr, back, ticks,
                GuestGap.maxGuestGapUs(gaps), GuestGap.maxControlGapUs(gaps), blackoutUs, gaps, windowMs, problems);
    }

    /**
     * Why this console may have read too slowly: its session's autogroup is niced (a batch runner's, say), and the
     * kernel shares the CPUs between sessions first, so busy guests leave it next to nothing. Seen on a PVM host whose
     * shell sessions ran at autogroup nice 19: verify took 7-10 s and the instance dropped ~1000 events.
     */
    private static String starvedConsole() {
        OptionalInt nice = Nice.ofAutogroup();
        return nice.isPresent() && nice.getAsInt() > 0 ? " (this console's session runs at autogroup nice "
                + nice.getAsInt() + ", so busy guests leave it little CPU to read with: run it from a session at 0,"
                + " e.g. after `echo 0 > /proc/$$/autogroup` in its shell)" : "";
    }

    private static void addIf(List<String> problems, long count, String what) {
        if (count > 0) {
            problems.add(count + " " + what);
        }
    }
}
