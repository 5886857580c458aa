package dev.hyperfresh.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.qemu.qmp.QmpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A running QEMU we are attached to through its QMP socket, and the process behind it. */
public final class QemuInstance implements AutoCloseable {
    private final QmpClient qmp;
    private final long pid;

    private QemuInstance(QmpClient qmp, long pid) {
        this.qmp = qmp;
        this.pid = pid;
    }

    /** {@code target}: a QMP socket path, optionally written {@code qmp:PATH}. */
    public static QemuInstance attach(String target) {
        return attach(Path.of(target.startsWith("qmp:") ? target.substring(4) : target));
    }

    public static QemuInstance attach(Path qmpSocket) {
        return attach(qmpSocket, QmpClient.DEFAULT_TIMEOUT);
    }

    /** {@code timeout} bounds the greeting: QEMU serves one QMP client at a time, a busy socket stays silent. */
    public static QemuInstance attach(Path qmpSocket, Duration timeout) {
        QmpClient qmp = QmpClient.connect(qmpSocket, timeout);
        try {
            return new QemuInstance(qmp, QemuPid.of(qmp));
        } catch (RuntimeException e) {
            qmp.close();
            throw e;
        }
    }

    public QmpClient qmp() {
        return qmp;
    }

    public long pid() {
        return pid;
    }

    public QemuInfo info() {
        JsonNode status = qmp.execute("query-status");
        JsonNode version = qmp.execute("query-version");
        JsonNode q = version.path("qemu");
        String versionText = q.path("major").asInt() + "." + q.path("minor").asInt() + "." + q.path("micro").asInt()
                + (version.path("package").asText().isBlank() ? "" : " (" + version.path("package").asText().strip() + ")");
        List<QemuVcpu> vcpus = new ArrayList<>();
        JsonNode cpus = qmp.execute("query-cpus-fast");
        for (JsonNode cpu : cpus) {
            vcpus.add(new QemuVcpu(cpu.path("cpu-index").asInt(), cpu.path("thread-id").asLong()));
        }
        Accelerator accel = qmp.execute("query-kvm").path("enabled").asBoolean() ? Accelerator.KVM : Accelerator.TCG;
        return new QemuInfo(qmp.socket(), pid, qmp.execute("query-name").path("name").asText(""),
                status.path("status").asText(), status.path("running").asBoolean(), versionText, accel, vcpus,
                memoryBackends(), cpus.isEmpty() || hasXsave(cpus.get(0).path("qom-path").asText()),
                Libvirt.hasItsMonitor(qmp.execute("query-chardev")));
    }

    /**
     * A CPU property read through QOM: the model QEMU built, not the guest's registers (reading those is harmful).
     * A CPU without the property is no x86 model built from KVM's list, so nothing is missing from it.
     */
    private boolean hasXsave(String cpuPath) {
        return Qom.get(qmp, cpuPath, "xsave").map(JsonNode::asBoolean).orElse(true);
    }

    /** The QOM children of {@code path}, name → type (a "child<virtio-rng-pci>" is a virtio-rng-pci), in order. */
    public Map<String, String> children(String path) {
        Map<String, String> types = new LinkedHashMap<>();
        for (JsonNode child : qmp.execute("qom-list", Map.of("path", path))) {
            String type = child.path("type").asText();
            if (type.startsWith("child<")) {
                types.put(child.path("name").asText(), type.substring(6, type.length() - 1));
            }
        }
        return types;
    }

    /** query-memdev has no type, so the QOM children of /objects supply it. */
    private List<MemoryBackend> memoryBackends() {
        Map<String, String> types = children("/objects");
        List<MemoryBackend> backends = new ArrayList<>();
        for (JsonNode m : qmp.execute("query-memdev")) {
            String id = m.path("id").asText();
            backends.add(new MemoryBackend(id, types.getOrDefault(id, "unknown"), m.path("size").asLong(),
                    m.path("share").asBoolean()));
        }
        return backends;
    }

    @Override
    public void close() {
        qmp.close();
    }
}
