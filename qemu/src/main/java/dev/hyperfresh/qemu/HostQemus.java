package dev.hyperfresh.qemu;

import dev.hyperfresh.qemu.replace.QemuArgs;
import java.io.File;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The QEMUs running on this host besides those a console reaches through its socket directory: their VMs, and the QMP
 * socket each could be attached by, so that an operator sees every VM of the host and which of them a host upgrade
 * (`replace --all`, the socket directory's) leaves out. Every process is looked at, cheaply: the name of its
 * executable first (one readlink), a QEMU's command line only then.
 */
public final class HostQemus {
    private HostQemus() {
    }

    /**
     * A QEMU found by its process: its VM's name (empty without {@code -name}), the QMP sockets its command line
     * listens on (none: nothing can attach to it), whether libvirt started it.
     */
    public record Found(long pid, String vmName, List<Path> qmpSockets, boolean runByLibvirt) {
        public Found {
            qmpSockets = List.copyOf(qmpSockets);
        }

        /** How commands name it, {@code qmp:PATH} by its first QMP socket; empty without one. */
        public Optional<String> name() {
            return qmpSockets.stream().findFirst().map(s -> "qmp:" + s);
        }
    }

    /** The QEMU processes of this host but those in {@code known}. */
    public static List<Found> except(Set<Long> known) {
        List<Found> found = new ArrayList<>();
        String[] processes = new File("/proc").list();
        for (String entry : processes == null ? new String[0] : processes) {
            if (entry.isEmpty() || !Character.isDigit(entry.charAt(0))) {
                continue;
            }
            long pid = Long.parseLong(entry);
            if (known.contains(pid) || !QemuExecutable.isQemu(pid)) {
                continue;
            }
            try {
                QemuArgs args = QemuArgs.ofProcess(pid);
                found.add(new Found(pid, args.vmName(), args.qmpSockets(), args.monitors().keySet().stream()
                        .anyMatch(Libvirt::isItsMonitor)));
            } catch (UncheckedIOException | IllegalArgumentException goneOrUnreadable) {
                // exited meanwhile, or a command line that is no QEMU's after all
            }
        }
        return found;
    }
}
