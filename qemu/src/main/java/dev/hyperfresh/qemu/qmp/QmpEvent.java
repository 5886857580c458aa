package dev.hyperfresh.qemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An asynchronous QMP event. {@code qemuMicros} is QEMU's own timestamp (wall clock, µs since the epoch);
 * {@code receivedNanos} is CLOCK_MONOTONIC when this process read it, comparable across connections.
 */
public record QmpEvent(String name, JsonNode data, long qemuMicros, long receivedNanos) {
}
