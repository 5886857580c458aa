package dev.hyperfresh.commands;

import dev.hyperfresh.engine.EngineException;

/**
 * A command that ran to its end with a result that is a failure (a rolled-back cutover, a verify with problems):
 * the result is still shown (and printed as JSON under {@code --json}), then the failure decides the exit code.
 */
final class OutputAndFailure extends EngineException {
    private final String output;

    private OutputAndFailure(Kind kind, String output, String message) {
        super(kind, message);
        this.output = output;
    }

    static OutputAndFailure rolledBack(String output, String message) {
        return new OutputAndFailure(Kind.ROLLED_BACK, output, message);
    }

    static OutputAndFailure failed(String output, String message) {
        return new OutputAndFailure(Kind.FAILED, output, message);
    }

    String output() {
        return output;
    }
}
