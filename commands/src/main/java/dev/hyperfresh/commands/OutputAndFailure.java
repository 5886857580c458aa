package dev.hyperfresh.commands;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.engine.EngineException;
import dev.hyperfresh.engine.VmsOn;

/**
 * A command that ran to its end with a result that is a failure (a rolled-back cutover, a verify with problems):
 * the result is still shown ({@code shown}: the JSON object under {@code --json}, else the text), then the
 * failure decides the outcome and the exit code ({@link Outcome}).
 */
final class OutputAndFailure extends EngineException {
    private final transient Object shown;

    OutputAndFailure(Kind kind, String message, VmsOn vmsOn, Object shown) {
        super(kind, message, vmsOn, null);
        this.shown = shown;
    }

    /** An {@link ObjectNode} or a String. */
    Object shown() {
        return shown;
    }
}
