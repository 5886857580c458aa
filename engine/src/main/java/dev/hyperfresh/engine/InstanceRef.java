package dev.hyperfresh.engine;

/** Which hfvisor process and build an instance is, as the handover replies name it. */
public record InstanceRef(String name, long pid, String version, String buildId) {
}
