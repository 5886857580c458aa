package dev.hyperfresh.vmm.control;

import java.util.List;

/**
 * What {@code info} reports about a running hfvisor. States are lower-case words the shell shows as they are:
 * for a VM e.g. {@code created}, {@code running}, {@code paused}, {@code stopped}, {@code failed}. {@code kvm} is
 * the KVM backend the instance runs on: {@code VMX}, {@code SVM}, {@code PVM} or {@code unknown} (null from an
 * hfvisor older than the field).
 */
public record InstanceInfo(String name, long pid, String version, String buildId, String kvm, long uptimeMs,
                           String state,
                           String role, List<Vm> vms) {
    public static final String ACTIVE = "active";
    public static final String STANDBY = "standby";

    public InstanceInfo {
        vms = List.copyOf(vms);
    }

    /** One VM: {@code guestKind} names what it boots, e.g. {@code hfguest} or {@code linux}. */
    public record Vm(String name, int vcpus, long memoryBytes, String state, String guestKind) {
    }
}
