package dev.hyperfresh.commands;


import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.engine.QemuReplaceReport.QemuRef;
import dev.hyperfresh.engine.QemuReplaceReport;
import dev.hyperfresh.engine.QemuVm;
import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.HostQemus;
import dev.hyperfresh.qemu.MemoryBackend;
import dev.hyperfresh.qemu.QemuInfo;
import dev.hyperfresh.qemu.QemuVcpu;
import dev.hyperfresh.qemu.replace.ReplacementMode;
import dev.hyperfresh.qemu.replace.ReplacementPlan;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

/** How QEMUs and their replacements read, from made-up figures (QemuFromTheShellTest has the real ones). */
class QemuViewsTest {
    private static final Path SOCKET = Path.of("/run/hyperfresh/web.qmp");
    private static final String VERSION = "7.2.22 (Debian)";

    private static final String LOST = "QEMU's CPU model for it has no XSAVE, ...";

    private static QemuVm vm(boolean shared) {
        return vm(shared, null);
    }

    private static QemuVm vm(boolean shared, String uncarriedCpuState) {
        return vm(shared, uncarriedCpuState, "/usr/bin/qemu-system-x86_64");
    }

    private static QemuVm vm(boolean shared, String uncarriedCpuState, String program) {
        return vm(shared, uncarriedCpuState, program, null);
    }

    private static QemuVm vm(boolean shared, String uncarriedCpuState, String program, String service) {
        return new QemuVm("web", SOCKET, new QemuInfo(SOCKET, 4242, "web", "running", true, VERSION, Accelerator.KVM,
                List.of(new QemuVcpu(0, 4243), new QemuVcpu(1, 4244)), List.of(new MemoryBackend("ram0",
                shared ? MemoryBackend.MEMFD : "memory-backend-ram", 256L << 20, shared)),
                uncarriedCpuState == null, false), null, uncarriedCpuState, program, service);
    }

    private static QemuReplaceReport report(String outcome, String reason) {
        Map<String, Long> phases = new LinkedHashMap<>();
        phases.put("preflight", 1200L);
        phases.put("cutover", 25_000L);
        QemuRef before = new QemuRef(4242, VERSION, "running");
        Map<String, Long> trace = new LinkedHashMap<>();
        trace.put("source-stop", 0L);
        trace.put("standby-resume", 20_739L);
        return new QemuReplaceReport("web", outcome, reason, "shared", 20_739, 3, 210_100, 256L << 20, phases,
                before, reason == null ? new QemuRef(5151, VERSION, "running") : before,
                reason == null ? trace : Map.of(), reason == null ? List.of("a host warning") : List.of());
    }

    @Test
    void aListRowSaysKindStatusAcceleratorAndWhetherTheRamIsShareable() {
        assertThat(QemuViews.listRow(vm(true))).containsExactly("web", "qemu", "active", "running", "4242", VERSION,
                "-", "-", "web (running, 2 vCPU, 256 MiB, kvm, shareable RAM yes)");
        assertThat(QemuViews.vmSummary(vm(false))).endsWith("shareable RAM no)");
        assertThat(QemuViews.vmSummary(vm(true, null, "/usr/bin/qemu-system-x86_64 (deleted)")))
                .endsWith("shareable RAM yes, binary upgraded since it started)");
        assertThat(QemuViews.info(vm(true, null, "/usr/bin/qemu-system-x86_64 (deleted)"))).contains("program"
                + " /usr/bin/qemu-system-x86_64 (deleted): its file was replaced (upgraded) since it started;"
                + " `replace --all` takes it onto the new one\n");
        assertThat(QemuViews.info(vm(true))).contains("program /usr/bin/qemu-system-x86_64\n");
        assertThat(QemuViews.vmSummary(vm(true, null, "/usr/bin/qemu-system-x86_64", "qemu@web.service")))
                .endsWith("shareable RAM yes, in systemd's qemu@web.service)");
        assertThat(QemuViews.info(vm(true, null, "/usr/bin/qemu-system-x86_64", "qemu@web.service")))
                .contains("systemd's qemu@web.service runs this QEMU: replace takes the service over where it is"
                        + " Type=forking with PIDFile= its -pidfile (replace --check says), else refuses it\n");
        assertThat(QemuViews.json(vm(true, null, "/usr/bin/qemu-system-x86_64", "qemu@web.service"))
                .path("systemd_service").asText()).isEqualTo("qemu@web.service");
        assertThat(QemuViews.listRow(new QemuVm("gone", SOCKET, null, "connection refused", null, null, null)))
                .containsExactly("gone", "qemu", "stale", "-", "-", "-", "-", "-", "connection refused");
    }

    @Test
    void aQemuElsewhereOnTheHostIsShownWithHowToReachIt() {
        HostQemus.Found reachable = new HostQemus.Found(5151, "db", List.of(Path.of("/run/db.qmp")), false);
        assertThat(QemuViews.listRow(reachable)).containsExactly("qmp:/run/db.qmp", "qemu", "elsewhere", "-", "5151",
                "-", "-", "-", "VM db, not in the socket directory: `attach qmp:/run/db.qmp`; `replace --all"
                        + " --also-under /run` takes it");
        HostQemus.Found unreachable = new HostQemus.Found(5252, "", List.of(), false);
        assertThat(QemuViews.listRow(unreachable).get(0)).isEqualTo("-");
        assertThat(QemuViews.elsewhere(unreachable)).endsWith("it has no QMP socket to attach by");
        assertThat(QemuViews.elsewhere(new HostQemus.Found(5353, "web", List.of(), true)))
                .startsWith("VM web, run by libvirt: move a libvirt domain");
        ObjectNode json = QemuViews.json(unreachable);
        assertThat(json.path("elsewhere").asBoolean()).isTrue();
        assertThat(json.get("name").isNull()).isTrue();
        assertThat(json.path("pid").asLong()).isEqualTo(5252);
    }

    @Test
    void jsonIsSnakeCaseWithTheBackends() {
        ObjectNode json = QemuViews.json(vm(false));
        assertThat(json.path("kind").asText()).isEqualTo("qemu");
        assertThat(json.path("shareable_ram").asBoolean()).isFalse();
        assertThat(json.path("run_by_libvirt").isBoolean()).isTrue();
        assertThat(json.path("memory_bytes").asLong()).isEqualTo(256L << 20);
        assertThat(json.path("memory").get(0).path("size_bytes").asLong()).isEqualTo(256L << 20);
        assertThat(json.path("socket").asText()).isEqualTo(SOCKET.toString());
    }

    @Test
    void infoPointsPrivateRamAtCopyMode() {
        assertThat(QemuViews.info(vm(false))).contains("web: QEMU " + VERSION + ", pid 4242, running, kvm")
                .contains("no (replace --copy)").contains("memory-backend-ram");
    }

    @Test
    void cpuStateAMigrationWouldLoseIsShownBeforeAnyReplace() {
        assertThat(QemuViews.vmSummary(vm(true, LOST))).endsWith("shareable RAM yes, migration loses AVX state)");
        assertThat(QemuViews.info(vm(true, LOST)))
                .contains("\ncpu state: " + LOST + " (replace refuses unless --accept-cpu-state-loss)\n");
        assertThat(QemuViews.info(vm(true))).doesNotContain("cpu state");
        assertThat(QemuViews.json(vm(true, LOST)).path("uncarried_cpu_state").asText()).isEqualTo(LOST);
        assertThat(QemuViews.json(vm(true)).path("uncarried_cpu_state").isNull()).isTrue();
    }

    @Test
    void aCommittedReplacementShowsPhasesBlackoutAndBothQemus() {
        assertThat(QemuViews.replace(report("committed", null))).contains("preflight").contains("25.0 ms")
                .contains("blackout 20.7 ms (20739 µs").contains("QEMU's own downtime 3 ms")
                .contains("256 MiB of guest memory stayed in place")
                .contains("before QEMU pid 4242").contains("after  QEMU pid 5151")
                .containsPattern("standby-resume *│20739").endsWith("\nwarning: a host warning");
        ObjectNode json = QemuViews.replaceJson(report("committed", null));
        assertThat(json.path("warnings").get(0).asText()).isEqualTo("a host warning");
        assertThat(json.path("phases_us").path("cutover").asLong()).isEqualTo(25_000);
        assertThat(json.path("trace_us").path("standby-resume").asLong()).isEqualTo(20_739);
    }

    @Test
    void aRolledBackReplacementSaysWhereTheVmRuns() {
        assertThat(QemuViews.replace(report("rolled-back", "the new QEMU did not start")))
                .contains("replacement ROLLED BACK: the new QEMU did not start")
                .contains("the VM runs on in QEMU pid 4242").doesNotContain("warning");
    }

    @Test
    void aPlanSaysWhatTheReplacementWouldDoLineByLine() {
        ReplacementPlan plan = new ReplacementPlan(ReplacementMode.SHARED, List.of("qemu", "-append", "cpus=2 x=1"),
                List.of("the tap tap0: the old QEMU's fd 12, the new one's fd 3"),
                List.of("netdev_add {\"type\":\"tap\",\"id\":\"t1\",\"fd\":\"3\"}"),
                List.of("tcp::2222-10.0.2.15:22"), "qemu@web.service", List.of("a plan warning"));
        assertThat(QemuViews.plan("web", plan)).startsWith("web can be replaced (shared mode); nothing was started\n")
                .contains("new QEMU: qemu -append 'cpus=2 x=1'\n")
                .contains("\nhanded over: the tap tap0: the old QEMU's fd 12, the new one's fd 3\n")
                .contains("\nplugged in again before the migration: netdev_add {\"type\":\"tap\"")
                .contains("\nforwarded again once the old QEMU has gone: tcp::2222-10.0.2.15:22")
                .contains("\nsystemd's qemu@web.service: the new QEMU its main process (from its pid file) and in its"
                        + " cgroups\n")
                .endsWith("\nwarning: a plan warning");
        ObjectNode json = QemuViews.planJson("web", plan);
        assertThat(json.path("plugged").get(0).asText()).startsWith("netdev_add");
        assertThat(json.path("mode").asText()).isEqualTo("shared");
        assertThat(json.path("takes_over_service").asText()).isEqualTo("qemu@web.service");
    }
}
