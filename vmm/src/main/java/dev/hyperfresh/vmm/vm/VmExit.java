package dev.hyperfresh.vmm.vm;

/** How a VM ended: powered off by the guest (with its exit code) or failed (with a diagnosis). */
public record VmExit(VmStatus status, int code, String message) {
}
