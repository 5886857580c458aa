package dev.hyperfresh.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/** Replacement samples as CSV (every run), a markdown table and a PNG chart (per backend and scenario). */
final class BenchResults {
    private static final List<String> PHASES = List.of("converge", "pause", "copy", "save", "offer", "handoff",
            "restore", "resume");

    private BenchResults() {
    }

    static void printSummary(Scenario s, List<Sample> got) {
        Stats b = stat(got, Sample::blackoutUs);
        Stats t = stat(got, Sample::totalUs);
        System.out.printf(Locale.ROOT, "%-36s blackout median %6d us  p99 %6d  max %6d | qemu downtime median %6d us"
                + " | total median %8d us | guest gap max %6d us (control %6d) | pages/s %d -> %d | moved median %.2f MiB%n",
                s.label(), b.median(), b.p99(), b.max(), stat(got, Sample::qemuDowntimeUs).median(), t.median(),
                stat(got, Sample::guestGapUs).max(), stat(got, Sample::controlGapUs).max(),
                stat(got, Sample::ppsBefore).median(),
                stat(got, Sample::ppsAfter).median(), stat(got, Sample::bytesCopied).median() / 1048576.0);
    }

    static void write(Path dir, List<Sample> samples) throws IOException {
        Files.writeString(dir.resolve("replace.csv"), csv(samples));
        Files.writeString(dir.resolve("replace.md"), markdown(samples));
        DefaultCategoryDataset chart = new DefaultCategoryDataset();
        byScenario(samples).forEach((s, xs) -> {
            Stats b = stat(xs, Sample::blackoutUs);
            chart.addValue(b.median(), "blackout median", s.label());
            chart.addValue(b.p99(), "blackout p99", s.label());
        });
        JFreeChart c = ChartFactory.createBarChart("Live replacement blackout (" + String.join("; ", accels(samples))
                + ")", "scenario", "µs", chart, PlotOrientation.HORIZONTAL, true, false, false);
        ChartUtils.saveChartAsPNG(dir.resolve("replace.png").toFile(), c, 1000, 120 + 60 * chart.getColumnCount());
    }

    /** Every run, one line each. -1: not measured by that backend. */
    static String csv(List<Sample> samples) {
        StringBuilder csv = new StringBuilder("accel,backend,memory_bytes,vcpus,vms,load,run,outcome,blackout_us,"
                + "qemu_downtime_us,total_us,prepare_us,populate_us,"
                + PHASES.stream().map(p -> p + "_us").collect(Collectors.joining(","))
                + ",guest_gap_us,control_gap_us,pps_before,pps_after,bytes_moved\n");
        for (Sample x : samples) {
            Scenario s = x.scenario();
            csv.append(String.join(",", quote(x.accel()), s.backend().cliName(), "" + s.memoryBytes(),
                    "" + s.vcpus(), "" + s.vms(), s.busy() ? "busy" : "idle", "" + x.run(), x.outcome(),
                    "" + x.blackoutUs(), "" + x.qemuDowntimeUs(), "" + x.totalUs(), "" + x.prepareUs(),
                    "" + x.populateUs(),
                    PHASES.stream().map(p -> "" + x.phasesUs().getOrDefault(p, -1L)).collect(Collectors.joining(",")),
                    "" + x.guestGapUs(), "" + x.controlGapUs(), "" + x.ppsBefore(), "" + x.ppsAfter(), "" + x.bytesCopied())).append('\n');
        }
        return csv.toString();
    }

    /** One row per (backend, scenario), each naming the accelerator it ran on. */
    static String markdown(List<Sample> samples) {
        StringBuilder md = new StringBuilder("Measured on: **" + String.join("**; **", accels(samples)) + "**. Times"
                + " in µs; blackout = hfvisor: last guest instruction on the old instance → first KVM_RUN on the new,"
                + " QEMU: the old QEMU's STOP event → the new one's RESUME event as received (CLOCK_MONOTONIC); QEMU"
                + " downtime = QEMU's own figure; total = prepare + cutover (hfvisor), migration start → old QEMU gone"
                + " (QEMU), starting the standby excluded for both; guest gap = largest loop gap hfguest itself"
                + " reported in the 500 ms of guest time after the cutover, control gap = the same in the 500 ms"
                + " before it (docs/BENCHMARKS.md); –: not measured.\n\n"
                + "| accel | scenario | n | blackout median | p99 | max | QEMU downtime median | total median"
                + " | prepare median | guest gap max | control gap max | pages/s before → after | MiB moved median"
                + " | outcomes |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        byScenario(samples).forEach((s, xs) -> {
            Stats b = stat(xs, Sample::blackoutUs);
            md.append(String.format(Locale.ROOT,
                    "| %s | %s | %d | %d | %d | %d | %s | %d | %s | %s | %s | %d → %d | %.2f | %s |%n",
                    xs.get(0).accel(), s.label(), b.n(), b.median(), b.p99(), b.max(),
                    measured(stat(xs, Sample::qemuDowntimeUs).median()), stat(xs, Sample::totalUs).median(),
                    measured(stat(xs, Sample::prepareUs).median()), measured(stat(xs, Sample::guestGapUs).max()),
                    measured(stat(xs, Sample::controlGapUs).max()),
                    stat(xs, Sample::ppsBefore).median(), stat(xs, Sample::ppsAfter).median(),
                    stat(xs, Sample::bytesCopied).median() / 1048576.0,
                    xs.stream().map(Sample::outcome).distinct().collect(Collectors.joining(" "))));
        });
        return md.toString();
    }

    private static Map<Scenario, List<Sample>> byScenario(List<Sample> samples) {
        Map<Scenario, List<Sample>> by = new LinkedHashMap<>();
        samples.forEach(x -> by.computeIfAbsent(x.scenario(), k -> new ArrayList<>()).add(x));
        return by;
    }

    private static List<String> accels(List<Sample> samples) {
        return samples.stream().map(Sample::accel).distinct().toList();
    }

    private static String measured(long us) {
        return us < 0 ? "–" : Long.toString(us);
    }

    private static Stats stat(List<Sample> xs, ToLongFunction<Sample> f) {
        return Stats.of(xs.stream().mapToLong(f).toArray());
    }

    private static String quote(String s) {
        return "\"" + s.replace("\"", "'") + "\"";
    }
}
