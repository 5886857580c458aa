package dev.hyperfresh.qemu.replace;

/** A replacement failed after pre-flight; the message says where the VM is running now. */
public final class ReplacementException extends RuntimeException {
    public ReplacementException(String message, Throwable cause) {
        super(message, cause);
    }
}
