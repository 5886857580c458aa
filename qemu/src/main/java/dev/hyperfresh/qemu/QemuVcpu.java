package dev.hyperfresh.qemu;

/** A vCPU as {@code query-cpus-fast} reports it: QEMU's index and the host thread running it. */
public record QemuVcpu(int index, long threadId) {
}
