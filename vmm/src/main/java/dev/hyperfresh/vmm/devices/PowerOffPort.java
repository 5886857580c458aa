package dev.hyperfresh.vmm.devices;

import java.util.function.IntConsumer;

/** Port 0xf4 (QEMU's isa-debug-exit): a byte written here powers the VM off with that exit code. */
public final class PowerOffPort implements PortDevice {
    public static final int PORT = 0xf4;
    private final IntConsumer powerOff;

    public PowerOffPort(IntConsumer powerOff) {
        this.powerOff = powerOff;
    }

    @Override
    public int read(int port, int size) {
        return 0xff;
    }

    @Override
    public void write(int port, int size, int value) {
        powerOff.accept(value & 0xff);
    }
}
