package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.QemuInfo;
import dev.hyperfresh.sys.Fd;
import java.util.List;
import java.util.Optional;

/**
 * A replacement that passed pre-flight: the VM as it is, a pidfd on its QEMU (what the old QEMU is killed
 * through, never a pid that may have been reused), the standby's command line, our hold on its RAM, our copies of
 * the old QEMU's descriptors the new one is given ({@code passedFiles}, in the standby's
 * {@link StandbyCommandLine#handed} order), the systemd service the new QEMU takes over, if any, and what the
 * operator accepted to lose ({@code warnings}, reported with the result).
 */
record Plan(QemuInfo source, Fd sourcePidfd, StandbyCommandLine standby, GuestMemoryHold memory,
            List<Fd> passedFiles, Optional<PidFileService> service, List<String> warnings) implements AutoCloseable {
    Plan {
        passedFiles = List.copyOf(passedFiles);
    }

    @Override
    public void close() {
        if (memory != null) {
            memory.close();
        }
        passedFiles.forEach(Fd::close);
        sourcePidfd.close();
    }
}
