package dev.hyperfresh.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.qemu.qmp.QmpIoException;
import dev.hyperfresh.sys.ProcStatus;
import java.io.IOException;

/**
 * The pid of the QEMU behind a QMP connection: query-cpus-fast names the host thread of each vCPU, and that
 * thread's thread-group id in /proc is the process. Unlike a socket path lookup this survives the socket file
 * being renamed, and it needs no second connection (QEMU serves one QMP client at a time).
 */
public final class QemuPid {
    private QemuPid() {
    }

    public static long of(QmpClient qmp) {
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
                    + ", which /proc does not show: is QEMU in another pid namespace?", e);
        }
    }
}
