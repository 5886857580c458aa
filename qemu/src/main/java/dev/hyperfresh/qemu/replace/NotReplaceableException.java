package dev.hyperfresh.qemu.replace;

/**
 * Pre-flight refused: the VM stays exactly as it was, and the message says why and what would work instead.
 * {@link #remedy()} names the one change of the request that would pass, so a caller can point at its own way of
 * asking for it.
 */
public final class NotReplaceableException extends RuntimeException {
    /** What the operator could ask for instead. */
    public enum Remedy {
        NONE,
        /** Only in-place (SHARED) replacement is impossible: an ordinary live migration works. */
        COPY_MODE,
        /** It would work but lose guest CPU state ({@link dev.hyperfresh.qemu.UncarriedCpuState}): if accepted. */
        ACCEPT_CPU_STATE_LOSS,
        /** It runs in a systemd service's cgroup: if the new QEMU may run outside the service. */
        OUTSIDE_SERVICE
    }

    private final Remedy remedy;

    public NotReplaceableException(String message) {
        this(message, Remedy.NONE);
    }

    public NotReplaceableException(String message, Remedy remedy) {
        super(message);
        this.remedy = remedy;
    }

    public Remedy remedy() {
        return remedy;
    }
}
