package dev.hyperfresh.shell;

import dev.hyperfresh.sys.IoFailure;
import java.io.IOException;
import java.time.Instant;
import org.jline.reader.LineReader;
import org.jline.reader.impl.history.DefaultHistory;
import org.springframework.stereotype.Component;

/**
 * The REPL's line history ({@code ~/.hyperfresh_history}), saved only when lines were typed: a one-shot or
 * script run leaves the file alone, and a home that cannot be written (a service account's {@code /nonexistent})
 * costs one line on the error stream, not a stack trace as the shell ends.
 */
@Component
class ReplHistory extends DefaultHistory {
    private volatile LineReader reader;
    private volatile boolean typed;
    private volatile boolean unsaveable;

    @Override
    public void attach(LineReader reader) {
        this.reader = reader;
        super.attach(reader);
    }

    @Override
    public void add(Instant time, String line) {
        typed = true;
        super.add(time, line);   // saves it at once (JLine's incremental history)
    }

    @Override
    public void save() {
        if (!typed || unsaveable) {
            return;
        }
        try {
            super.save();
        } catch (IOException e) {
            unsaveable = true;   // said once, not after every line
            // on a line of its own: the typed line's end of line is yet to come
            System.err.println(System.lineSeparator() + "hyperfresh: the command history was not saved to "
                    + (reader == null ? "its file" : reader.getVariable(LineReader.HISTORY_FILE)) + ": "
                    + IoFailure.reason(e));
        }
    }
}
