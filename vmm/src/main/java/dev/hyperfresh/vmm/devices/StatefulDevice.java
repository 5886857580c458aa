package dev.hyperfresh.vmm.devices;

/** A device whose state must move with the VM in a handover; the bytes carry their own version. */
public interface StatefulDevice {
    byte[] saveState();

    void restoreState(byte[] state);
}
