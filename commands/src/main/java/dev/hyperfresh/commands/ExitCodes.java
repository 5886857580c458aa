package dev.hyperfresh.commands;

import dev.hyperfresh.engine.EngineException;
import java.util.Arrays;

/**
 * The process exit codes of one-shot and script runs, one per outcome (man hyperfresh, EXIT STATUS): a script
 * tells from the code alone whether anything was done and where the VMs are.
 */
public final class ExitCodes {
    public static final int SUCCESS = 0;
    /** Failed; what became of the VMs (if any are concerned) is in the sentence and in {@code vms_on}. */
    public static final int FAILURE = 1;
    /** Malformed request: nothing was done. */
    public static final int USAGE = 2;
    /** Refused, or failed before anything changed: nothing was done, the VMs run on untouched. */
    public static final int PRECONDITION = 3;
    /** Failed and undone: the VMs run on the old instance. */
    public static final int ROLLED_BACK = 4;
    /** The replacement committed (the VMs run on the new instance) and a later step failed. */
    public static final int COMMITTED = 5;
    /** Nobody can tell who runs the VMs now. */
    public static final int UNKNOWN = 6;

    private ExitCodes() {
    }

    public static int of(EngineException.Kind kind) {
        return switch (kind) {
            case USAGE -> USAGE;
            case PRECONDITION -> PRECONDITION;
            case ROLLED_BACK -> ROLLED_BACK;
            case COMMITTED -> COMMITTED;
            case UNKNOWN -> UNKNOWN;
            case FAILED -> FAILURE;
        };
    }

    /** The kind whose code {@code exitCode} is (a failed script line's, passed on); FAILED for any other. */
    static EngineException.Kind kind(int exitCode) {
        return Arrays.stream(EngineException.Kind.values()).filter(k -> of(k) == exitCode).findFirst()
                .orElse(EngineException.Kind.FAILED);
    }
}
