package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.QemuInfo;

/** A replacement that passed pre-flight: the VM as it is, the standby's command line, our hold on its RAM. */
record Plan(QemuInfo source, StandbyCommandLine standby, GuestMemoryHold memory) implements AutoCloseable {
    @Override
    public void close() {
        if (memory != null) {
            memory.close();
        }
    }
}
