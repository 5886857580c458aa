package dev.hyperfresh.commands;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.engine.QemuReplaceReport.QemuRef;
import dev.hyperfresh.engine.QemuReplaceReport;
import dev.hyperfresh.engine.QemuVm;
import dev.hyperfresh.qemu.HostQemus;
import dev.hyperfresh.qemu.Libvirt;
import dev.hyperfresh.qemu.MemoryBackend;
import dev.hyperfresh.qemu.QemuInfo;
import dev.hyperfresh.qemu.replace.ReplacementPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Text and JSON renderings of QEMUs and their replacements, in the same shapes Views gives hfvisor's. */
final class QemuViews {
    static final String KIND = "qemu";

    private QemuViews() {
    }

    /** A row of `list`: INSTANCE, KIND, ROLE, STATE, PID, VERSION, UPTIME, VMS. */
    static List<String> listRow(QemuVm q) {
        if (q.isStale()) {
            return List.of(q.name(), KIND, "stale", "-", "-", "-", "-", "-", q.problem());
        }
        QemuInfo info = q.info();
        return List.of(q.name(), KIND, "active", info.status(), String.valueOf(info.pid()), info.version(), "-", "-",
                vmSummary(q));
    }

    /** A QEMU outside the socket directory: what it runs, and how it could be reached, if at all. */
    static List<String> listRow(HostQemus.Found f) {
        return List.of(f.name().orElse("-"), KIND, "elsewhere", "-", String.valueOf(f.pid()), "-", "-", "-",
                elsewhere(f));
    }

    static String elsewhere(HostQemus.Found f) {
        String vm = f.vmName().isEmpty() ? "an unnamed VM" : "VM " + f.vmName();
        if (f.runByLibvirt()) {
            return vm + ", run by libvirt: " + Libvirt.ITS_OWN_MEANS;
        }
        return vm + ", not in the socket directory: " + f.name().map(n -> "`attach " + n + "`; `replace --all"
                + " --also-under " + f.qmpSockets().get(0).getParent() + "` takes it").orElse("it has no QMP socket to"
                + " attach by");
    }

    static ObjectNode json(HostQemus.Found f) {
        ObjectNode node = JsonOutput.object().put("name", f.name().orElse(null)).put("kind", KIND).put("elsewhere", true)
                .put("pid", f.pid()).put("vm_name", f.vmName()).put("run_by_libvirt", f.runByLibvirt());
        ArrayNode sockets = node.putArray("qmp_sockets");
        f.qmpSockets().forEach(s -> sockets.add(s.toString()));
        return node.put("problem", elsewhere(f));
    }

    static String vmSummary(QemuVm q) {
        QemuInfo info = q.info();
        return (info.name().isEmpty() ? "unnamed VM" : info.name()) + " (" + info.status() + ", "
                + info.vcpus().size() + " vCPU, " + Units.bytes(info.memoryBytes()) + ", "
                + info.accelerator().qemuName() + ", shareable RAM " + (q.shareableRam() ? "yes" : "no")
                + (q.uncarriedCpuState() != null ? ", migration loses AVX state" : "")
                + (q.programReplaced() ? ", binary upgraded since it started" : "")
                + (info.runByLibvirt() ? ", run by libvirt" : "")
                + (q.systemdService() != null ? ", in systemd's " + q.systemdService() : "") + ")";
    }

    static String info(QemuVm q) {
        QemuInfo info = q.info();
        StringBuilder out = new StringBuilder();
        out.append(q.name()).append(": QEMU ").append(info.version()).append(", pid ").append(info.pid())
                .append(", ").append(info.status()).append(", ").append(info.accelerator().qemuName()).append('\n')
                .append("socket ").append(q.socket()).append('\n');
        if (q.program() != null) {
            out.append("program ").append(q.program()).append(q.programReplaced() ? ": its file was replaced"
                    + " (upgraded) since it started; `replace --all` takes it onto the new one" : "").append('\n');
        }
        out.append(Tables.of(List.of("VM", "STATUS", "VCPUS", "MEMORY", "SHAREABLE RAM"), List.of(List.of(
                info.name().isEmpty() ? "-" : info.name(), info.status(), String.valueOf(info.vcpus().size()),
                Units.bytes(info.memoryBytes()), q.shareableRam() ? "yes" : "no (replace --copy)")))).append('\n');
        if (info.runByLibvirt()) {
            out.append("libvirt runs this QEMU: replace refuses it; ").append(Libvirt.ITS_OWN_MEANS).append('\n');
        }
        if (q.systemdService() != null) {
            out.append("systemd's ").append(q.systemdService()).append(" runs this QEMU: replace takes the service over"
                    + " where it is Type=forking with PIDFile= its -pidfile (replace --check says), else refuses it\n");
        }
        if (q.uncarriedCpuState() != null) {
            out.append("cpu state: ").append(q.uncarriedCpuState())
                    .append(" (replace refuses unless --accept-cpu-state-loss)\n");
        }
        if (info.memory().isEmpty()) {
            return out.append("no memory backend objects: the RAM is private to this QEMU").toString();
        }
        List<List<String>> rows = new ArrayList<>();
        for (MemoryBackend b : info.memory()) {
            rows.add(List.of(b.id(), b.type(), Units.bytes(b.sizeBytes()), b.shared() ? "yes" : "no"));
        }
        return out.append(Tables.of(List.of("RAM BACKEND", "TYPE", "SIZE", "SHARE"), rows)).toString();
    }

    static ObjectNode json(QemuVm q) {
        ObjectNode node = JsonOutput.object().put("name", q.name()).put("kind", KIND)
                .put("socket", q.socket().toString());
        if (q.isStale()) {
            return node.put("stale", true).put("problem", q.problem());
        }
        QemuInfo info = q.info();
        node.put("stale", false).put("pid", info.pid()).put("vm_name", info.name()).put("status", info.status())
                .put("running", info.running()).put("version", info.version())
                .put("accelerator", info.accelerator().qemuName()).put("vcpus", info.vcpus().size())
                .put("memory_bytes", info.memoryBytes()).put("shareable_ram", q.shareableRam())
                .put("uncarried_cpu_state", q.uncarriedCpuState()).put("program", q.program())
                .put("program_replaced", q.programReplaced()).put("run_by_libvirt", info.runByLibvirt())
                .put("systemd_service", q.systemdService());
        ArrayNode memory = node.putArray("memory");
        info.memory().forEach(b -> memory.add(JsonOutput.tree(b)));
        return node;
    }

    static String replace(QemuReplaceReport r) {
        StringBuilder out = new StringBuilder(Views.phases(r.phasesUs())).append('\n');
        if (!r.committed()) {
            return out.append("replacement ROLLED BACK: ").append(r.reason()).append("\nthe VM runs on in ")
                    .append(ref(r.before())).toString();
        }
        return out.append("blackout ").append(Units.micros(r.blackoutUs())).append(" (").append(r.blackoutUs())
                .append(" µs, the old QEMU's STOP to the new one's RESUME as we saw them); QEMU's own downtime ")
                .append(r.qemuDowntimeMs()).append(" ms\n").append(r.mode()).append(" mode: sent ")
                .append(Units.bytes(r.stateBytes())).append("; ").append(Units.bytes(r.memoryBytes()))
                .append(" of guest memory ").append(r.mode().equals("copy") ? "copied" : "stayed in place")
                .append("\nbefore ").append(ref(r.before())).append("\nafter  ").append(ref(r.after()))
                .append(trace(r.traceUs())).append(Views.warningLines(r.warnings())).toString();
    }

    /** The cutover step by step: where the blackout and the wait after it went. */
    private static String trace(Map<String, Long> traceUs) {
        if (traceUs.isEmpty()) {
            return "";
        }
        List<List<String>> rows = new ArrayList<>();
        traceUs.forEach((step, us) -> rows.add(List.of(step, String.valueOf(us))));
        return "\ncutover trace, µs since the old QEMU's STOP:\n" + Tables.of(List.of("STEP", "AT µs"), rows);
    }

    /** What `replace --check` found: what the replacement would do. */
    static String plan(String target, ReplacementPlan p) {
        StringBuilder out = new StringBuilder(target).append(" can be replaced (")
                .append(p.mode().name().toLowerCase(Locale.ROOT)).append(" mode); nothing was started\nnew QEMU: ")
                .append(p.commandLine().stream().map(w -> w.contains(" ") ? "'" + w + "'" : w)
                        .collect(Collectors.joining(" ")));
        p.handedOver().forEach(h -> out.append("\nhanded over: ").append(h));
        p.plugged().forEach(c -> out.append("\nplugged in again before the migration: ").append(c));
        p.hostForwards().forEach(f -> out.append("\nforwarded again once the old QEMU has gone: ").append(f));
        if (p.takesOverService() != null) {
            out.append("\nsystemd's ").append(p.takesOverService()).append(": the new QEMU its main process (from its"
                    + " pid file) and in its cgroups");
        }
        return out.append(Views.warningLines(p.warnings())).toString();
    }

    static ObjectNode planJson(String target, ReplacementPlan p) {
        ObjectNode o = JsonOutput.tree(p).put("kind", KIND).put("target", target);
        o.put("mode", p.mode().name().toLowerCase(Locale.ROOT));
        return o;
    }

    static ObjectNode replaceJson(QemuReplaceReport r) {
        return JsonOutput.tree(r).put("kind", KIND);
    }

    private static String ref(QemuRef ref) {
        return "QEMU pid " + ref.pid() + " (" + ref.version() + ", " + ref.status() + ")";
    }
}
