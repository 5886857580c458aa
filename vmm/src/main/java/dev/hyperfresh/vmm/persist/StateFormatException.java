package dev.hyperfresh.vmm.persist;

/** Saved-state bytes this reader cannot accept: truncated, corrupt, or written in a format it does not know. */
public class StateFormatException extends RuntimeException {
    public StateFormatException(String message) {
        super(message);
    }
}
