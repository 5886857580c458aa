package dev.hyperfresh.vmm.devices;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Routes MMIO exits to the device that claims the address; an address nobody claims is the caller's to judge. */
public final class MmioBus {
    private final List<MmioDevice> devices = new CopyOnWriteArrayList<>();

    public void register(MmioDevice device) {
        devices.add(device);
    }

    /** The device at {@code address}, or null. */
    public MmioDevice at(long address) {
        for (MmioDevice d : devices) {   // a plain loop: few devices, and this runs on every MMIO exit
            if (d.claims(address)) {
                return d;
            }
        }
        return null;
    }
}
