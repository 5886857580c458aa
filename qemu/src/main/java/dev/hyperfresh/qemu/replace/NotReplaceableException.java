package dev.hyperfresh.qemu.replace;

/**
 * Pre-flight refused: the VM stays exactly as it was, and the message says why and what would work instead.
 * {@code copyModeWorks}: only in-place (SHARED) replacement is impossible, so a caller can point at its own way of
 * asking for copy mode.
 */
public final class NotReplaceableException extends RuntimeException {
    private final boolean copyModeWorks;

    public NotReplaceableException(String message) {
        this(message, false);
    }

    public NotReplaceableException(String message, boolean copyModeWorks) {
        super(message);
        this.copyModeWorks = copyModeWorks;
    }

    public boolean copyModeWorks() {
        return copyModeWorks;
    }
}
