package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.QemuInfo;
import dev.hyperfresh.sys.Fd;
import java.util.List;

/**
 * A replacement that passed pre-flight: the VM as it is, a pidfd on its QEMU (what the old QEMU is killed
 * through, never a pid that may have been reused), the standby's command line, our hold on its RAM, and what the
 * operator accepted to lose ({@code warnings}, reported with the result).
 */
record Plan(QemuInfo source, Fd sourcePidfd, StandbyCommandLine standby, GuestMemoryHold memory, List<String> warnings)
        implements AutoCloseable {
    @Override
    public void close() {
        if (memory != null) {
            memory.close();
        }
        sourcePidfd.close();
    }
}
