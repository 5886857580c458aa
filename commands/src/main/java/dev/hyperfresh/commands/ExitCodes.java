package dev.hyperfresh.commands;

import dev.hyperfresh.engine.EngineException;

/** The process exit codes of one-shot and script runs (man hyperfresh, EXIT STATUS). */
public final class ExitCodes {
    public static final int SUCCESS = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    public static final int PRECONDITION = 3;
    public static final int ROLLED_BACK = 4;

    private ExitCodes() {
    }

    public static int of(EngineException.Kind kind) {
        return switch (kind) {
            case USAGE -> USAGE;
            case PRECONDITION -> PRECONDITION;
            case ROLLED_BACK -> ROLLED_BACK;
            case FAILED -> FAILURE;
        };
    }
}
