package dev.hyperfresh.qemu.qmp;

import dev.hyperfresh.qemu.Libvirt;
import dev.hyperfresh.sys.ProcStatus;
import dev.hyperfresh.sys.SocketPeers;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.UnixSocket;
import dev.hyperfresh.sys.UnixSocket.PeerCredentials;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Who holds a QMP socket that does not greet: QEMU serves one client at a time and leaves the others waiting
 * unanswered, so a socket another program holds (libvirt's monitor of its domain, above all) is named as such at
 * once rather than after the whole greeting time-out.
 */
final class BusySocket {
    private BusySocket() {
    }

    /** Why {@code socket} does not greet, if another program holds it: a sentence naming that program. */
    static Optional<String> holder(Path socket) {
        Optional<PeerCredentials> listener;
        try {
            listener = UnixSocket.listenerOf(socket);
        } catch (SysException gone) {
            return Optional.empty();
        }
        if (listener.isEmpty() || listener.get().pid() == 0) {
            return Optional.empty();
        }
        long self = ProcessHandle.current().pid();
        return SocketPeers.acceptedBy(listener.get().pid(), socket).stream().map(PeerCredentials::pid)
                .filter(pid -> pid != self && pid != 0).findFirst().map(pid -> {
                    String program = ProcStatus.name(pid).orElse("a process since gone");
                    String held = "the QMP socket " + socket + " is taken: " + program + " (pid " + pid
                            + ") is connected to it, and QEMU serves one QMP client at a time";
                    return Libvirt.isLibvirt(program) ? held + ". It is libvirt's monitor of its domain, and"
                            + " hyperfresh leaves the QEMUs libvirt runs alone (libvirt would take a replaced QEMU's"
                            + " end for its domain's crash): " + Libvirt.ITS_OWN_MEANS
                            : held + "; try again once it has disconnected";
                });
    }
}
