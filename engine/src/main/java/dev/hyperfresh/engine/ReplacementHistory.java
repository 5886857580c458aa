package dev.hyperfresh.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.vmm.control.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Past replacements, one JSON object per line, appended: a line is written whole by one write, so concurrent
 * shells never interleave inside a line. A later `verify` of a cutover is a line of its own
 * ({@link HistoryVerification}), read into its entry. Lines that do not parse (a hand edit, a newer format) are
 * skipped.
 */
final class ReplacementHistory {
    private final Path file;

    ReplacementHistory(Path file) {
        this.file = file;
    }

    synchronized void append(HistoryEntry entry) {
        appendLine(entry);
    }

    synchronized void append(HistoryVerification verification) {
        appendLine(verification);
    }

    private void appendLine(Object line) {
        try {
            Files.writeString(file, Json.MAPPER.writeValueAsString(line) + "\n", StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw EngineException.failed("cannot append to the replacement history " + file + ": " + e.getMessage());
        }
    }

    synchronized List<HistoryEntry> read() {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw EngineException.failed("cannot read the replacement history " + file + ": " + e.getMessage());
        }
        List<HistoryEntry> entries = new ArrayList<>();
        for (String line : lines) {
            try {
                JsonNode node = Json.MAPPER.readTree(line);
                if (!node.isObject()) {
                    continue;   // a blank line reads as no node at all, not as an error
                }
                if (node.has("verifies")) {
                    HistoryVerification v = Json.MAPPER.treeToValue(node, HistoryVerification.class);
                    entries.replaceAll(v::applyTo);
                } else {
                    entries.add(Json.MAPPER.treeToValue(node, HistoryEntry.class));
                }
            } catch (JsonProcessingException | IllegalArgumentException skipped) {
                // not ours to repair; the rest of the history still shows
            }
        }
        return entries;
    }
}
