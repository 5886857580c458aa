package dev.hyperfresh.engine;

/**
 * A step could not be done; the message is one sentence for the operator. The kind says what became of the
 * step and so of the VMs it concerns (a UI shows it, a script reads it as its exit code and outcome word);
 * {@link #vmsOn} names the process that runs them now when the engine knows it, null when they concern no known
 * instance or nobody can tell ({@link Kind#UNKNOWN}).
 */
public class EngineException extends RuntimeException {
    public enum Kind {
        /** The request itself is malformed (a bad size, an unknown option value): nothing was done. */
        USAGE("usage"),
        /**
         * Nothing was done: the request is well formed but the world is not ready for it (unknown instance, step
         * out of order), or the step failed before it changed anything (a standby that died while starting).
         */
        PRECONDITION("refused"),
        /** The step failed and everything was put back as it was: the VMs run on the old instance. */
        ROLLED_BACK("rolled-back"),
        /**
         * The replacement committed (the VMs run on the new instance) and a later part failed: the guests' verify
         * found problems or could not watch, or the cutover's reply was lost.
         */
        COMMITTED("committed"),
        /** Nobody can tell who runs the VMs now (a cutover's reply was lost and nothing answers). */
        UNKNOWN("unknown"),
        /** Anything else. */
        FAILED("failed");

        private final String word;

        Kind(String word) {
            this.word = word;
        }

        /** The outcome as one word, the same in {@code --json} and in the history. */
        public String word() {
            return word;
        }
    }

    private final Kind kind;
    private final VmsOn vmsOn;

    public EngineException(Kind kind, String message) {
        this(kind, message, null, null);
    }

    public EngineException(Kind kind, String message, Throwable cause) {
        this(kind, message, null, cause);
    }

    public EngineException(Kind kind, String message, VmsOn vmsOn, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.vmsOn = vmsOn;
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

    /** Who runs the VMs now; null when this failure concerns no known instance's VMs or nobody can tell. */
    public VmsOn vmsOn() {
        return vmsOn;
    }
}
