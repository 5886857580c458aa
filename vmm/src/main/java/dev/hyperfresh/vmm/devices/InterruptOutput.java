package dev.hyperfresh.vmm.devices;

/**
 * A device's interrupt output driven like the wire: the {@link InterruptLine} is told only when the level changes.
 * Its level is part of the device's saved state.
 */
public final class InterruptOutput {
    private final InterruptLine line;
    private boolean high;

    public InterruptOutput(InterruptLine line) {
        this.line = line;
    }

    public void set(boolean level) {
        if (level != high) {
            high = level;
            line.set(level);
        }
    }

    public boolean high() {
        return high;
    }

    /** Takes over a saved level without telling the line: the VM's interrupt controller state moved with it. */
    public void assume(boolean level) {
        high = level;
    }
}
