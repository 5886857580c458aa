package dev.hyperfresh.qemu.replace;

/** Pre-flight refused: the VM stays exactly as it was, and the message says why and what would work instead. */
public final class NotReplaceableException extends RuntimeException {
    public NotReplaceableException(String message) {
        super(message);
    }
}
