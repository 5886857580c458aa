package dev.hyperfresh.vmm.vm;

/** Lifecycle of a VM inside one hfvisor instance. */
public enum VmStatus {
    CREATED, RUNNING, PAUSED, POWERED_OFF, FAILED, RELEASED, HANDED_OVER
}
