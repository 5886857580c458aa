package dev.hyperfresh.engine;

/**
 * A step could not be done; the message is one sentence for the operator. The kind tells a UI (and a script's
 * exit code) whether the operator asked for something impossible, or something failed and was or was not undone.
 */
public class EngineException extends RuntimeException {
    public enum Kind {
        /** The request itself is malformed: a bad size, an unknown option value. */
        USAGE,
        /** The request is well formed but the world is not ready for it: unknown instance, step out of order. */
        PRECONDITION,
        /** The step failed and everything was put back as it was: the VMs run on the old instance. */
        ROLLED_BACK,
        /** Anything else. */
        FAILED
    }

    private final Kind kind;

    public EngineException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public EngineException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public static EngineException usage(String message) {
        return new EngineException(Kind.USAGE, message);
    }

    public static EngineException precondition(String message) {
        return new EngineException(Kind.PRECONDITION, message);
    }

    public static EngineException rolledBack(String message) {
        return new EngineException(Kind.ROLLED_BACK, message);
    }

    public static EngineException failed(String message) {
        return new EngineException(Kind.FAILED, message);
    }

    public Kind kind() {
        return kind;
    }
}
