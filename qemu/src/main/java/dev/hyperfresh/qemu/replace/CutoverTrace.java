package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.qmp.QmpEvent;
import dev.hyperfresh.sys.MonotonicClock;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * When each step of a cutover happened, on CLOCK_MONOTONIC: the QMP commands of the cutover as sent and answered,
 * every event either QEMU sends from the migration on, and our own steps. Step names are {@code SIDE-WHAT} in
 * lower case: {@code source-migrate}, {@code source-stop}, {@code source-migration-completed},
 * {@code stream-released}, {@code standby-resume}, {@code standby-migration-completed},
 * {@code source-killed}, ... The first time a step happens is the one kept. Events arrive on the QMP reader threads.
 */
final class CutoverTrace {
    static final String SOURCE = "source";
    static final String STANDBY = "standby";

    private final Map<String, Long> nanos = new HashMap<>();

    void mark(String step) {
        at(step, MonotonicClock.nanos());
    }

    synchronized void at(String step, long monotonicNanos) {
        nanos.putIfAbsent(step, monotonicNanos);
    }

    synchronized OptionalLong nanosOf(String step) {
        Long n = nanos.get(step);
        return n == null ? OptionalLong.empty() : OptionalLong.of(n);
    }

    /** Records {@code side}'s events as they are read: {@code MIGRATION} by status, {@code MIGRATION_PASS} by pass. */
    Consumer<QmpEvent> events(String side) {
        return e -> {
            String name = e.name().toLowerCase(Locale.ROOT).replace('_', '-');
            String detail = switch (e.name()) {
                case "MIGRATION" -> "-" + e.data().path("status").asText();
                case "MIGRATION_PASS" -> "-" + e.data().path("pass").asText();
                default -> "";
            };
            at(side + "-" + name + detail, e.receivedNanos());
        };
    }

    /**
     * Every step in time order, in microseconds since {@code zeroStep} (the source's STOP: the guest's last
     * instruction there, as the blackout counts), or since the first step if {@code zeroStep} never happened (a
     * paused VM stops nowhere).
     */
    synchronized Map<String, Long> sinceUs(String zeroStep) {
        long zero = nanos.containsKey(zeroStep) ? nanos.get(zeroStep)
                : nanos.values().stream().mapToLong(Long::longValue).min().orElse(0);
        Map<String, Long> out = new LinkedHashMap<>();
        nanos.entrySet().stream().sorted(Map.Entry.comparingByValue(Comparator.naturalOrder()))
                .forEach(e -> out.put(e.getKey(), (e.getValue() - zero) / 1000));
        return out;
    }
}
