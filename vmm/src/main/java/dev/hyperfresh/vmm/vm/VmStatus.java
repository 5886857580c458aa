package dev.hyperfresh.vmm.vm;

import java.util.Locale;

/** Lifecycle of a VM inside one hfvisor instance ({@code RESETTING}: parked while it boots again). */
public enum VmStatus {
    CREATED, RUNNING, PAUSED, RESETTING, POWERED_OFF, FAILED, RELEASED, HANDED_OVER;

    /** How {@code info}, events and messages name it: {@code running}, {@code stopped}, {@code handed-over}, … */
    public String word() {
        return switch (this) {
            case POWERED_OFF -> "stopped";
            case HANDED_OVER -> "handed-over";
            default -> name().toLowerCase(Locale.ROOT);
        };
    }
}
