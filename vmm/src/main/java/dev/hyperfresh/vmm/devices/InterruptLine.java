package dev.hyperfresh.vmm.devices;

/**
 * A device's interrupt output, e.g. {@code high -> vm.irqLine(4, high)}. Devices drive it like the wire: high while
 * they want service, low once serviced; they only call it when the level changes.
 */
@FunctionalInterface
public interface InterruptLine {
    void set(boolean high);
}
