package dev.hyperfresh.engine;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Replacement phases in the order they happen, for tables and history (hfvisor's reply map has no order). */
public final class Phases {
    private static final List<String> ORDER = List.of("standby", "remap", "pause", "save", "handoff", "restore",
            "resume", "verify");

    private Phases() {
    }

    public static Map<String, Long> ordered(Map<String, Long> phasesUs) {
        Map<String, Long> out = new LinkedHashMap<>();
        phasesUs.entrySet().stream().sorted(Comparator.comparingInt((Map.Entry<String, Long> e) -> {
            int i = ORDER.indexOf(e.getKey());
            return i < 0 ? ORDER.size() : i;
        }).thenComparing(Map.Entry::getKey)).forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
