package dev.hyperfresh.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.vmm.control.Event;

/** One event as one console line. */
final class ConsoleView {
    private ConsoleView() {
    }

    static String line(Event e) {
        JsonNode f = e.fields();
        return switch (e.kind()) {
            case Event.HEARTBEAT -> e.vm() + " cpu" + f.path("cpu").asInt() + " seq=" + f.path("seq").asLong()
                    + " ticks=" + f.path("ticks").asLong() + " pages/s=" + f.path("pagesPerSecond").asLong()
                    + " mem-errors=" + f.path("memoryErrors").asLong() + " canary-errors="
                    + f.path("canaryErrors").asLong() + " largest-pause=" + f.path("gapMaxCycles").asLong()
                    + " cycles";
            case Event.CONSOLE, Event.GUEST_LINE -> e.vm() + "| " + f.path("text").asText().stripTrailing();
            case Event.STATE -> e.vm() + " is now " + f.path("state").asText();
            case Event.DROPPED -> "(" + f.path("count").asLong() + " events dropped: this console read too slowly)";
            default -> (e.vm() == null ? "" : e.vm() + " ") + e.kind() + " " + f;
        };
    }
}
