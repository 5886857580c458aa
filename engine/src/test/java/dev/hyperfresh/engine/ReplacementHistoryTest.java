package dev.hyperfresh.engine;


import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;

class ReplacementHistoryTest {
    @TempDir
    Path dir;

    @Test
    void entriesComeBackInOrderAndForeignLinesAreSkipped() throws Exception {
        ReplacementHistory history = new ReplacementHistory(dir.resolve("history.jsonl"));
        assertThat(history.read()).isEmpty();
        HistoryEntry first = new HistoryEntry("2026-11-25T19:00:00Z", "demo", "committed", null, 420, 30_000,
                256L << 20, Map.of("pause", 20L), "0.1.0", "0.1.1", true, 5_800L, 1_100L,
                Map.of("parked", 0L, "first-run", 420L));
        history.append(first);
        Files.writeString(dir.resolve("history.jsonl"), "not json\n\n42\n", StandardOpenOption.APPEND);
        HistoryEntry second = new HistoryEntry("2026-11-25T19:01:00Z", "demo", "rolled-back", "standby died", 0, 0,
                0, Map.of(), "0.1.1", "0.1.1", null, null, null, null);
        history.append(second);
        assertThat(history.read()).containsExactly(first, second);
    }

    @Test
    void linesWrittenBeforeTheGapFiguresExistedStillRead() throws Exception {
        ReplacementHistory history = new ReplacementHistory(dir.resolve("history.jsonl"));
        Files.writeString(dir.resolve("history.jsonl"), "{\"time\":\"2026-11-25T19:00:00Z\",\"instance\":\"demo\","
                + "\"outcome\":\"committed\",\"blackoutUs\":420,\"phasesUs\":{},\"verified\":true}\n");
        assertThat(history.read()).singleElement().satisfies(e -> {
            assertThat(e.blackoutUs()).isEqualTo(420);
            assertThat(e.guestGapUs()).isNull();
        });
    }

    @Test
    void aLaterVerifyOfACutoverIsReadIntoItsEntry() {
        ReplacementHistory history = new ReplacementHistory(dir.resolve("history.jsonl"));
        HistoryEntry cutover = new HistoryEntry("2026-12-05T04:16:26Z", "h", "committed", null, 420, 10_945,
                64L << 20, Map.of("pause", 1364L), "0.1.0", "0.1.0", null, null, null, Map.of());
        HistoryEntry other = new HistoryEntry("2026-12-05T04:17:00Z", "web", "committed", null, 400, 10_945,
                64L << 20, Map.of(), "0.1.0", "0.1.0", null, null, null, Map.of());
        history.append(cutover);
        history.append(other);
        history.append(new HistoryVerification("2026-12-05T04:16:26Z", "h", true, 1_386L, 4_512L));
        history.append(new HistoryVerification("2026-12-05T03:00:00Z", "h", false, 1L, 1L));   // of nothing here

        assertThat(history.read()).containsExactly(new HistoryEntry("2026-12-05T04:16:26Z", "h", "committed", null,
                420, 10_945, 64L << 20, Map.of("pause", 1364L), "0.1.0", "0.1.0", true, 1_386L, 4_512L, Map.of()),
                other);
    }

    @Test
    void aLineThatCannotBeWrittenIsAWarningNotAFailure() throws Exception {
        Path file = Files.createDirectory(dir.resolve("history.jsonl"));
        ReplacementHistory history = new ReplacementHistory(file);
        HistoryEntry entry = new HistoryEntry("2026-12-05T17:00:00Z", "demo", "committed", null, 400, 10_000,
                64L << 20, Map.of(), "0.1.0", "0.1.0", true, 1_000L, 2_000L, Map.of());
        assertThat(history.append(entry)).hasValueSatisfying(w -> assertThat(w)
                .isEqualTo("not recorded in the replacement history: cannot append to " + file
                        + " (Is a directory)"));
        assertThat(history.append(new HistoryVerification("2026-12-05T17:00:00Z", "demo", true, 1L, 2L)))
                .isPresent();
        Files.delete(file);
        assertThat(history.append(entry)).isEmpty();
        assertThat(history.read()).containsExactly(entry);
    }
}
