package dev.hyperfresh.vmm.devices;

/**
 * A device in guest-physical memory space (a PCI BAR). Where it sits may change at run time (the guest moves a
 * BAR), so the bus asks it whether it claims an address. Called from vCPU threads; implementations synchronise.
 */
public interface MmioDevice {
    boolean claims(long address);

    /** A read of {@code size} bytes (1, 2, 4 or 8), little-endian in the low bytes of the result. */
    long read(long address, int size);

    void write(long address, int size, long value);
}
