package dev.hyperfresh.commands;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.engine.QemuReplaceReport;
import dev.hyperfresh.engine.ReplaceAllReport;
import dev.hyperfresh.engine.ReplaceAllReport.Entry;
import dev.hyperfresh.engine.ReplaceAllReport.Result;
import dev.hyperfresh.engine.ReplaceReport;
import dev.hyperfresh.engine.VmsOn;
import java.util.ArrayList;
import java.util.List;

/** {@code replace --all}: one row per instance of the socket directory, as text or as {@code --json}'s fields. */
final class ReplaceAllViews {
    private ReplaceAllViews() {
    }

    static String text(ReplaceAllReport r) {
        List<List<String>> rows = new ArrayList<>();
        for (Entry e : r.instances()) {
            ReplaceReport rep = e.report();
            QemuReplaceReport qemu = e.qemuReport();
            boolean verified = rep != null && rep.verification() != null;
            boolean qemuRan = qemu != null && qemu.committed();
            String process = rep != null ? "pid " + rep.before().pid() + " → " + rep.after().pid()
                    : qemu != null ? "pid " + qemu.before().pid() + " → " + qemu.after().pid() : "-";
            rows.add(List.of(e.instance(), e.qemu() ? QemuViews.KIND : InstanceCommands.HFVISOR,
                    e.result() == Result.FAILED ? e.failure().kind().word() : e.result().word(),
                    verified ? Units.micros(rep.blackoutUs()) : qemuRan ? Units.micros(qemu.blackoutUs()) : "-",
                    verified ? Views.gap(rep.verification().guestGapUs()) : "-",
                    e.why() != null ? e.why() : e.result() == Result.FAILED ? e.failure().getMessage() : process));
        }
        String counts = r.dryRun() ? "would replace " + r.count(Result.WOULD_REPLACE) + ", skip "
                + r.count(Result.SKIPPED) + (r.failed().isPresent() ? ", refused " + r.count(Result.FAILED) : "")
                + " (nothing was started)"
                : r.count(Result.COMMITTED) + " replaced, " + r.count(Result.SKIPPED) + " skipped"
                + (r.failed().isPresent() ? ", 1 failed" : "") + (r.interrupted() ? ", stopped by Ctrl-C" : "")
                + (r.count(Result.NOT_REACHED) > 0 ? ", " + r.count(Result.NOT_REACHED) + " not reached (untouched)"
                : "");
        List<String> with = new ArrayList<>();
        if (r.build() != null) {
            with.add(r.build().toString());
        }
        if (r.qemu() != null) {
            with.add("QEMUs with " + r.qemu());
        }
        return (with.isEmpty() ? "replacing" : "replacing with " + String.join("; ", with)) + ": " + counts + "\n"
                + Tables.of(List.of("INSTANCE", "KIND", "OUTCOME", "BLACKOUT", "GUEST GAP", "PROCESS / WHY"), rows);
    }

    static ObjectNode json(ReplaceAllReport r) {
        ObjectNode out = JsonOutput.object();
        if (r.build() == null) {
            out.putNull("build");
        } else {
            out.putObject("build").put("version", r.build().version()).put("build_id", r.build().buildId());
        }
        if (r.qemu() == null) {
            out.putNull("qemu");
        } else {
            out.putObject("qemu").put("binary", r.qemu().path().toString()).put("version", r.qemu().version());
        }
        out.put("dry_run", r.dryRun()).put("interrupted", r.interrupted());
        for (Result result : Result.values()) {
            out.put(result.word().replace('-', '_'), r.count(result));
        }
        ArrayNode instances = out.putArray("instances");
        for (Entry e : r.instances()) {
            ObjectNode node = instances.addObject().put("instance", e.instance())
                    .put("kind", e.qemu() ? QemuViews.KIND : InstanceCommands.HFVISOR).put("result", e.result().word());
            if (e.why() != null) {
                node.put("why", e.why());
            }
            if (e.failure() != null) {
                node.put("outcome", e.failure().kind().word()).put("reason", e.failure().getMessage());
                VmsOn on = e.failure().vmsOn();
                node.set("vms_on", on == null ? node.nullNode() : JsonOutput.tree(on));
            }
            if (e.report() != null) {
                node.set("replace", Views.replaceJson(e.report()));
            } else if (e.qemuReport() != null) {
                node.set("replace", QemuViews.replaceJson(e.qemuReport()));
            }
        }
        return out;
    }

    /** What the instance's replacement warned of (a history not written, a QEMU's socket not handed over...). */
    static List<String> warnings(Entry e) {
        return e.report() != null ? e.report().warnings()
                : e.qemuReport() != null ? e.qemuReport().warnings() : List.of();
    }
}
