package dev.hyperfresh.commands;

import dev.hyperfresh.vmm.control.InstanceRef;
import dev.hyperfresh.vmm.control.PrepareReply;
import dev.hyperfresh.vmm.control.CutoverReply;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.engine.GuestGap;
import dev.hyperfresh.engine.Instance;
import dev.hyperfresh.engine.Phases;
import dev.hyperfresh.engine.ReplaceReport;
import dev.hyperfresh.engine.Verification;
import dev.hyperfresh.vmm.control.InstanceInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Text and JSON renderings of the engine's reports, shared by the commands that show them. */
final class Views {
    private Views() {
    }

    static String vmSummary(InstanceInfo info) {
        if (info.vms().isEmpty()) {
            return "no VMs";
        }
        return info.vms().stream().map(vm -> vm.name() + " (" + vm.state() + ", " + vm.vcpus() + " vCPU, "
                + Units.bytes(vm.memoryBytes()) + ")").collect(Collectors.joining(", "));
    }

    /** The KVM an instance runs on ({@code VMX}, {@code SVM}, {@code PVM}, {@code unknown}); "-" before the field. */
    static String kvm(InstanceInfo info) {
        return info.kvm() == null ? "-" : info.kvm();
    }

    /** Warnings said after a result's text: one {@code warning:} line each, nothing when there are none. */
    static String warningLines(List<String> warnings) {
        return warnings.stream().map(w -> "\nwarning: " + w).collect(Collectors.joining());
    }

    static String info(Instance instance) {
        InstanceInfo info = instance.info();
        StringBuilder out = new StringBuilder();
        out.append(info.name()).append(": hfvisor ").append(info.version()).append(" (build ").append(info.buildId())
                .append("), pid ").append(info.pid()).append(", ").append(instance.role()).append(", ")
                .append(info.state()).append(", up ").append(Units.uptime(info.uptimeMs())).append(", KVM ")
                .append(kvm(info)).append(info.shutdownTimeoutS() == null ? "" : ", shutdown timeout "
                        + info.shutdownTimeoutS() + " s").append('\n')
                .append("socket ").append(instance.socket()).append('\n');
        instance.warnings().forEach(w -> out.append("warning: ").append(w).append('\n'));
        if (info.vms().isEmpty()) {
            return out.append("no VMs").toString();
        }
        // a column only when a VM has one
        boolean disks = info.vms().stream().anyMatch(vm -> vm.disks() != null);
        boolean nics = info.vms().stream().anyMatch(vm -> vm.nics() != null);
        List<List<String>> rows = new ArrayList<>();
        for (InstanceInfo.Vm vm : info.vms()) {
            List<String> row = new ArrayList<>(List.of(vm.name(), vm.state(), String.valueOf(vm.vcpus()),
                    Units.bytes(vm.memoryBytes()), vm.residentBytes() == null ? "-" : Units.bytes(vm.residentBytes()),
                    vm.guestKind()));
            if (disks) {
                row.add(vm.disks() == null ? "-" : String.join(", ", vm.disks().stream()
                        .map(d -> d.path() + (d.readOnly() ? " (read-only)" : "")).toList()));
            }
            if (nics) {
                row.add(vm.nics() == null ? "-" : String.join(", ", vm.nics().stream()
                        .map(n -> n.tap() + " " + n.mac() + (Boolean.TRUE.equals(n.gone()) ? " (tap gone)" : ""))
                        .toList()));
            }
            rows.add(row);
        }
        List<String> header = new ArrayList<>(List.of("VM", "STATE", "VCPUS", "MEMORY", "RESIDENT", "GUEST"));
        if (disks) {
            header.add("DISK");
        }
        if (nics) {
            header.add("NET");
        }
        return out.append(Tables.of(header, rows)).toString();
    }

    static ObjectNode instanceJson(Instance instance) {
        ObjectNode node = JsonOutput.object().put("name", instance.name()).put("socket",
                instance.socket().toString());
        if (instance.isUnreachable()) {
            return node.put("stale", false).put("unreachable", true).put("pid", instance.unreachablePid())
                    .put("problem", instance.problem());
        }
        if (instance.isStale()) {
            return node.put("stale", true).put("problem", instance.problem());
        }
        node.put("stale", false).put("role", instance.role());
        node.setAll(JsonOutput.tree(instance.info()));
        return node;
    }

    static String ref(InstanceRef ref) {
        return ref.name() + " (hfvisor " + ref.version() + ", build " + ref.buildId() + ", pid " + ref.pid() + ")";
    }

    static String prepare(PrepareReply p) {
        return "remapped " + p.vms().size() + " VM(s) into " + p.target().name() + ": " + Units.bytes(p.memoryBytes())
                + " of guest memory shared through " + p.fdsPassed() + " memfd(s), " + Units.bytes(p.bytesCopied())
                + " copied; populated in " + Units.micros(p.populateUs()) + ", prepare took "
                + Units.micros(p.prepareUs()) + "; standby RSS " + Units.bytes(p.standbyRssBytes())
                + (p.guestCpus().isEmpty() ? "" : "\nCPU(s) " + p.guestCpus().stream().map(String::valueOf)
                        .collect(Collectors.joining(",")) + " kept for the vCPUs until a second after the cutover")
                + "\nthe guests never stopped; next: `cutover` (or `rollback`)";
    }

    static String phases(Map<String, Long> phasesUs) {
        List<List<String>> rows = new ArrayList<>();
        phasesUs.forEach((phase, us) -> rows.add(List.of(phase, Units.micros(us), String.valueOf(us))));
        return Tables.of(List.of("PHASE", "TIME", "µs"), rows);
    }

    static String cutover(CutoverReply c) {
        if (!c.committed()) {
            return "cutover ROLLED BACK: " + c.reason() + "\nthe standby is gone";
        }
        return phases(Phases.ordered(c.phasesUs())) + "\nblackout " + Units.micros(c.blackoutUs()) + " (" + c.blackoutUs()
                + " µs); moved " + Units.bytes(c.stateBytes()) + " of state; now on "
                + ref(c.newInstance()) + "\nnext: `verify`";
    }

    static String verification(Verification v) {
        String verdict = v.ok() ? "verified" : "NOT verified: " + String.join("; ", v.problems());
        return verdict + "\n" + v.heartbeats() + " heartbeats from " + v.cpus() + " vCPU(s) in " + v.windowMs()
                + " ms: " + v.seqGaps() + " missing, " + v.seqDuplicates() + " repeated, memory errors "
                + v.memoryErrors() + ", canary errors " + v.canaryErrors() + ", TSC backwards " + v.tscBackwards()
                + ", ticks " + (v.ticksAdvancing() ? "advancing" : "stuck") + "\n" + guestGaps(v);
    }

    /** The last cutover as the guests saw it: per VM the largest pause across it and in the control window. */
    static String guestGaps(Verification v) {
        if (v.guestGaps().isEmpty()) {
            return "largest pause the guest saw across a cutover: - (no cutover watched before this verify)";
        }
        StringBuilder out = new StringBuilder("largest pause the guest saw across the cutover: ")
                .append(gap(v.guestGapUs())).append(" (control window without one: ").append(gap(v.controlGapUs()))
                .append("; blackout ").append(gap(v.cutoverBlackoutUs())).append(')');
        for (GuestGap g : v.guestGaps()) {
            if (v.guestGaps().size() > 1 || g.note() != null) {
                out.append("\n  ").append(g.vm()).append(": ").append(gap(g.guestGapUs())).append(", control ")
                        .append(gap(g.controlGapUs())).append(g.note() == null ? "" : " (" + g.note() + ")");
            }
        }
        return out.toString();
    }

    static String gap(Long us) {
        return us == null ? "unmeasured" : Units.micros(us);
    }

    static ObjectNode verificationJson(Verification v) {
        return JsonOutput.tree(v).put("ok", v.ok());
    }

    static String replace(ReplaceReport r) {
        StringBuilder out = new StringBuilder(phases(r.phasesUs())).append('\n');
        if (!"committed".equals(r.outcome())) {
            return out.append("replacement ROLLED BACK: ").append(r.reason())
                    .append("\nthe VMs run on in ").append(ref(r.before())).append(warningLines(r.warnings()))
                    .toString();
        }
        return out.append("blackout ").append(Units.micros(r.blackoutUs())).append(" (").append(r.blackoutUs())
                .append(" µs); the guest saw ").append(gap(r.verification().guestGapUs())).append(" (control ")
                .append(gap(r.verification().controlGapUs())).append(")\nmoved ").append(Units.bytes(r.stateBytes()))
                .append(" of state; ")
                .append(Units.bytes(r.memoryBytes())).append(" of guest memory stayed in place (")
                .append(Units.bytes(r.bytesCopied())).append(" copied)\nbefore ").append(ref(r.before()))
                .append("\nafter  ").append(ref(r.after())).append('\n').append(verification(r.verification()))
                .append(warningLines(r.warnings())).toString();
    }

    static ObjectNode replaceJson(ReplaceReport r) {
        ObjectNode node = JsonOutput.tree(r).put("verified", r.verified());
        node.put("guest_gap_us", r.verification() == null ? null : r.verification().guestGapUs());
        node.put("control_gap_us", r.verification() == null ? null : r.verification().controlGapUs());
        if (r.verification() != null) {
            node.set("verification", verificationJson(r.verification()));
        }
        return node;
    }
}
