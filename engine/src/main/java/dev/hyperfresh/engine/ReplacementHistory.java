package dev.hyperfresh.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.sys.IoFailure;
import dev.hyperfresh.vmm.control.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Past replacements, one JSON object per line, appended: a line is written whole by one write, so concurrent
 * shells never interleave inside a line. A later `verify` of a cutover is a line of its own
 * ({@link HistoryVerification}), read into its entry. Lines that do not parse (a hand edit, a newer format) are
 * skipped. A line that cannot be written is a warning, never a failure: the history records replacements, and a full
 * disk must not turn a committed one into "failed" nor hide who runs the VMs after a rolled-back one.
 */
final class ReplacementHistory {
    private final Path file;

    ReplacementHistory(Path file) {
        this.file = file;
    }

    /** Appends {@code entry}; empty if written, else the warning that says it was not. */
    synchronized Optional<String> append(HistoryEntry entry) {
        return appendLine(entry);
    }

    /** Appends {@code verification}; empty if written, else the warning that says it was not. */
    synchronized Optional<String> append(HistoryVerification verification) {
        return appendLine(verification);
    }

    private Optional<String> appendLine(Object line) {
        try {
            Files.writeString(file, Json.MAPPER.writeValueAsString(line) + "\n", StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("not recorded in the replacement history: cannot append to " + file + " ("
                    + IoFailure.reason(e) + ")");
        }
    }

    synchronized List<HistoryEntry> read() {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw EngineException.failed("cannot read the replacement history " + file + ": " + IoFailure.reason(e));
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
