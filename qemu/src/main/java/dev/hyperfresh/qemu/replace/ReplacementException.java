package dev.hyperfresh.qemu.replace;

/**
 * A replacement failed after pre-flight; the message says where the VM is running now. {@code rolledBack}: the
 * VM is back on the old QEMU as it was (running or paused); otherwise the operator has to look.
 */
public final class ReplacementException extends RuntimeException {
    private final boolean rolledBack;

    public ReplacementException(String message, Throwable cause, boolean rolledBack) {
        super(message, cause);
        this.rolledBack = rolledBack;
    }

    public boolean rolledBack() {
        return rolledBack;
    }
}
