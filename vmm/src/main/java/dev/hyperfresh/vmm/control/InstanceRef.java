package dev.hyperfresh.vmm.control;

/** Which hfvisor process, and which build of it, is meant. */
public record InstanceRef(String name, long pid, String version, String buildId) {
}
