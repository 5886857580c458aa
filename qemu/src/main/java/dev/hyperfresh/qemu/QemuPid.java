package dev.hyperfresh.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.qemu.qmp.QmpIoException;
import dev.hyperfresh.sys.Namespaces;
import dev.hyperfresh.sys.ProcStatus;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.UnixSocket;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The pid of the QEMU behind a QMP connection: query-cpus-fast names the host thread of each vCPU, and that
 * thread's thread-group id in /proc is the process. Unlike a socket path lookup this survives the socket file
 * being renamed, and it needs no QMP session of its own (QEMU serves one client at a time); but QEMU names the
 * thread as its own pid namespace numbers it, so a QEMU in another one (a container's) is refused rather than
 * taken for whatever process has that number here: who listens on its socket says where it lives.
 */
public final class QemuPid {
    private QemuPid() {
    }

    public static long of(QmpClient qmp) {
        requireThisPidNamespace(qmp.socket());
        JsonNode cpus = qmp.execute("query-cpus-fast");
        if (cpus.isEmpty()) {
            throw new QmpIoException("QEMU at " + qmp.socket() + " reports no vCPU, so its pid cannot be found");
        }
        long tid = cpus.get(0).path("thread-id").asLong();
        try {
            return ProcStatus.number(Long.toString(tid), "Tgid")
                    .orElseThrow(() -> new QmpIoException("/proc/" + tid + "/status has no Tgid line"));
        } catch (IOException e) {
            throw new QmpIoException("QEMU at " + qmp.socket() + " runs vCPU 0 on thread " + tid
                    + ", which /proc does not show", e);
        }
    }

    /**
     * The process that listens on {@code socket} (QEMU, or whoever made the socket for it) lives in this process's
     * pid namespace; a busy listener, whose backlog is full, is not asked.
     */
    private static void requireThisPidNamespace(Path socket) {
        Optional<UnixSocket.PeerCredentials> listener;
        try {
            listener = UnixSocket.listenerOf(socket);
        } catch (SysException gone) {
            return;   // the QMP session itself says so
        }
        if (listener.isEmpty()) {
            return;
        }
        long pid = listener.get().pid();
        if (pid == 0 || Namespaces.differ("pid", pid)) {
            throw new QmpIoException("QEMU at " + socket + " runs in another pid namespace than this console (a"
                    + " container's" + (pid == 0 ? "" : ": the socket's listener is pid " + pid) + "), which numbers"
                    + " its processes and threads otherwise: run hyperfresh inside its namespaces (nsenter -t PID -a)");
        }
    }
}
