package dev.hyperfresh.vmm.devices.pci;

import dev.hyperfresh.vmm.devices.DeviceState;
import dev.hyperfresh.vmm.devices.PortDevice;
import dev.hyperfresh.vmm.devices.StatefulDevice;

/**
 * PCI bus 0 reached by configuration mechanism #1 (address at 0xcf8, data at 0xcfc-0xcff), how a Linux guest
 * without ACPI finds PCI ({@code pci=conf1}). Slot 0 is a host bridge, for Linux's sanity check of the mechanism.
 * The address register is state: a guest paused between writing it and reading the data must find it again.
 */
public final class PciBus implements PortDevice, StatefulDevice {
    public static final int ADDRESS_PORT = 0xcf8, PORTS = 8;
    public static final String STATE_NAME = "pci";
    static final int STATE_MAGIC = 0x50434942; // "PCIB"
    static final int STATE_VERSION = 1;
    private static final int DATA_PORT = 0xcfc, ENABLE = 0x80000000, SLOTS = 32;
    private final PciFunction[] slots = new PciFunction[SLOTS];
    private int address;

    public PciBus() {
        slots[0] = new HostBridge();
    }

    /** Puts {@code function} in the first free slot and returns the slot. */
    public synchronized int add(PciFunction function) {
        for (int slot = 1; slot < SLOTS; slot++) {
            if (slots[slot] == null) {
                slots[slot] = function;
                return slot;
            }
        }
        throw new IllegalStateException("PCI bus 0 is full");
    }

    @Override
    public synchronized int read(int port, int size) {
        if (port == ADDRESS_PORT && size == 4) {
            return address;
        }
        PciFunction f = target(port);
        return f == null ? (int) ((1L << (size * 8)) - 1) : f.configRead(register(port), size);
    }

    @Override
    public synchronized void write(int port, int size, int value) {
        if (port == ADDRESS_PORT && size == 4) {
            address = value & 0x80fffffc;
            return;
        }
        PciFunction f = target(port);
        if (f != null) {
            f.configWrite(register(port), size, value);
        }
    }

    /** Bus 0, function 0 of an occupied slot; anything else has no device (reads all ones). */
    private PciFunction target(int port) {
        if (port < DATA_PORT || (address & ENABLE) == 0 || (address & 0x00ff0700) != 0) {
            return null;
        }
        return slots[(address >>> 11) & 0x1f];
    }

    private int register(int port) {
        return (address & 0xfc) + (port - DATA_PORT);
    }

    @Override
    public synchronized byte[] saveState() {
        return DeviceState.save(STATE_MAGIC, STATE_VERSION, out -> out.writeInt(address));
    }

    @Override
    public synchronized void restoreState(byte[] state) {
        DeviceState.restore(state, "PCI bus", STATE_MAGIC, STATE_VERSION, in -> {
            int saved = in.readInt();
            return () -> address = saved;
        });
    }

    /** An Intel 440FX host bridge's identity; nothing in it is writable. */
    private static final class HostBridge implements PciFunction {
        private final ConfigSpace config = new ConfigSpace(0x8086, 0x1237, 0x02, 0x060000);

        @Override
        public int configRead(int offset, int size) {
            return config.read(offset, size);
        }

        @Override
        public void configWrite(int offset, int size, int value) {
        }
    }
}
