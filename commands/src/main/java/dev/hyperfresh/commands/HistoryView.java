package dev.hyperfresh.commands;

import dev.hyperfresh.engine.HistoryEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The history table: one row per replacement, the largest pause its guests saw across it and in the control
 * window before it, its phases in microseconds.
 */
final class HistoryView {
    private HistoryView() {
    }

    static String table(List<HistoryEntry> entries) {
        List<List<String>> rows = new ArrayList<>();
        for (HistoryEntry e : entries) {
            rows.add(List.of(e.time(), e.instance(), e.outcome(), Units.micros(e.blackoutUs()),
                    e.versionBefore() + " → " + e.versionAfter(),
                    e.verified() == null ? "-" : e.verified() ? "yes" : "NO",
                    e.guestGapUs() == null ? "-" : Units.micros(e.guestGapUs()),
                    e.controlGapUs() == null ? "-" : Units.micros(e.controlGapUs()),
                    e.phasesUs().entrySet().stream().map(p -> p.getKey() + "=" + p.getValue())
                            .collect(Collectors.joining(" "))));
        }
        return Tables.of(List.of("TIME", "INSTANCE", "OUTCOME", "BLACKOUT", "VERSIONS", "VERIFIED", "GUEST GAP",
                "CONTROL GAP", "PHASES (µs)"),
                rows);
    }
}
