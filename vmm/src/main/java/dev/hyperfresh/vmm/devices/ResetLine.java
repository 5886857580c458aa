package dev.hyperfresh.vmm.devices;

/**
 * The keyboard controller's command port where a VM has no controller otherwise (hfguest's machine): command 0xfe
 * pulses the reset line, as on a PC; nothing else of the controller answers. Stateless, so it moves with no state.
 */
public final class ResetLine implements PortDevice {
    private final Runnable reset;

    public ResetLine(Runnable reset) {
        this.reset = reset;
    }

    @Override
    public int read(int port, int size) {
        return 0xff;
    }

    @Override
    public void write(int port, int size, int value) {
        if ((value & 0xff) == I8042.PULSE_RESET) {
            reset.run();
        }
    }
}
