package dev.hyperfresh.vmm.devices;

import java.util.Arrays;

/**
 * Routes port I/O exits to devices. Ports nobody claims read as all ones and ignore writes, as on a PC: guests
 * (Linux above all) probe many legacy ports and must find nothing there rather than stop.
 */
public final class IoBus {
    private final PortDevice[] byPort = new PortDevice[0x10000];

    public IoBus register(int firstPort, int count, PortDevice device) {
        for (int p = firstPort; p < firstPort + count; p++) {
            if (byPort[p] != null) {
                throw new IllegalStateException(String.format("port 0x%x is already taken", p));
            }
        }
        Arrays.fill(byPort, firstPort, firstPort + count, device);
        return this;
    }

    public int read(int port, int size) {
        PortDevice d = byPort[port];
        return d == null ? (int) ((1L << (size * 8)) - 1) : d.read(port, size);
    }

    public void write(int port, int size, int value) {
        PortDevice d = byPort[port];
        if (d != null) {
            d.write(port, size, value);
        }
    }

    public void writeString(int port, byte[] data) {
        PortDevice d = byPort[port];
        if (d != null) {
            d.writeString(port, data);
        }
    }
}
