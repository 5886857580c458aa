package dev.hyperfresh.kvm;

/**
 * The host's KVM lacks a capability the caller asked for (e.g. KVM_PRE_FAULT_MEMORY under shadow paging).
 * Callers that can do without it catch this type; it is a condition, not a crash.
 */
public final class UnsupportedCapabilityException extends RuntimeException {
    private final Cap cap;

    public UnsupportedCapabilityException(Cap cap, String detail) {
        super("KVM on this host does not support " + cap.kernelName() + (detail == null ? "" : ": " + detail));
        this.cap = cap;
    }

    public Cap cap() {
        return cap;
    }
}
