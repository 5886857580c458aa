package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.QemuInfo;
import dev.hyperfresh.sys.Fd;

/**
 * A replacement that passed pre-flight: the VM as it is, a pidfd on its QEMU (what the old QEMU is killed
 * through, never a pid that may have been reused), the standby's command line, our hold on its RAM.
 */
record Plan(QemuInfo source, Fd sourcePidfd, StandbyCommandLine standby, GuestMemoryHold memory)
        implements AutoCloseable {
    @Override
    public void close() {
        if (memory != null) {
            memory.close();
        }
        sourcePidfd.close();
    }
}
