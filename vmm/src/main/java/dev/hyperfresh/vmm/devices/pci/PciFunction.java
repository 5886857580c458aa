package dev.hyperfresh.vmm.devices.pci;

/** Function 0 of a device on PCI bus 0: what configuration cycles reach. */
public interface PciFunction {
    /** A read of {@code size} bytes (1, 2 or 4) at {@code offset} (aligned to its size) of the 256-byte space. */
    int configRead(int offset, int size);

    void configWrite(int offset, int size, int value);
}
