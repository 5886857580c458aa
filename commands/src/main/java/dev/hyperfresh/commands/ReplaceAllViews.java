package dev.hyperfresh.commands;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
            boolean ran = rep != null && rep.verification() != null;
            rows.add(List.of(e.instance(), e.result() == Result.FAILED ? e.failure().kind().word() : e.result().word(),
                    ran ? Units.micros(rep.blackoutUs()) : "-", ran ? Views.gap(rep.verification().guestGapUs()) : "-",
                    e.why() != null ? e.why() : e.result() == Result.FAILED ? e.failure().getMessage()
                            : rep != null ? "pid " + rep.before().pid() + " → " + rep.after().pid() : "-"));
        }
        String counts = r.dryRun() ? "would replace " + r.count(Result.WOULD_REPLACE) + ", skip "
                + r.count(Result.SKIPPED) + " (nothing was started)"
                : r.count(Result.COMMITTED) + " replaced, " + r.count(Result.SKIPPED) + " skipped"
                + (r.failed().isPresent() ? ", 1 failed" : "") + (r.interrupted() ? ", stopped by Ctrl-C" : "")
                + (r.count(Result.NOT_REACHED) > 0 ? ", " + r.count(Result.NOT_REACHED) + " not reached (untouched)"
                : "");
        return "replacing with " + r.build() + ": " + counts + "\n"
                + Tables.of(List.of("INSTANCE", "OUTCOME", "BLACKOUT", "GUEST GAP", "PROCESS / WHY"), rows);
    }

    static ObjectNode json(ReplaceAllReport r) {
        ObjectNode out = JsonOutput.object();
        out.putObject("build").put("version", r.build().version()).put("build_id", r.build().buildId());
        out.put("dry_run", r.dryRun()).put("interrupted", r.interrupted());
        for (Result result : Result.values()) {
            out.put(result.word().replace('-', '_'), r.count(result));
        }
        ArrayNode instances = out.putArray("instances");
        for (Entry e : r.instances()) {
            ObjectNode node = instances.addObject().put("instance", e.instance()).put("result", e.result().word());
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
            }
        }
        return out;
    }
}
