package dev.hyperfresh.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
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
                + " | total median %8d us | resume->return median %6d us | guest gap max %6d us (control %6d)"
                + " | pages/s %d -> %d | moved median %.2f MiB%n",
                s.label(), b.median(), b.p99(), b.max(), stat(got, Sample::qemuDowntimeUs).median(), t.median(),
                stat(got, Sample::resumeToReturnUs).median(), stat(got, Sample::guestGapUs).max(),
                stat(got, Sample::controlGapUs).max(), stat(got, Sample::ppsBefore).median(),
                stat(got, Sample::ppsAfter).median(), stat(got, Sample::bytesCopied).median() / 1048576.0);
        String trace = traceMedians(got);
        if (!trace.isEmpty()) {
            System.out.println("  cutover trace, median µs since the old QEMU's STOP: " + trace);
        }
    }

    /** Each traced step's median time over the runs that reached it, in the order of those medians. */
    static String traceMedians(List<Sample> xs) {
        Map<String, List<Long>> at = new LinkedHashMap<>();
        xs.forEach(x -> x.traceUs().forEach((step, us) -> at.computeIfAbsent(step, k -> new ArrayList<>()).add(us)));
        return at.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), Stats.of(e.getValue().stream().mapToLong(Long::longValue).toArray())
                        .median()))
                .sorted(Map.Entry.comparingByValue())
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    /**
     * Each row's blackout median over qemu-own's in the same scenario (size, vCPUs, VMs, load) and on the same
     * accelerator in this run, where there is one: how far a replacement is from QEMU's own switch.
     */
    static void printRatios(List<Sample> samples) {
        Map<Scenario, List<Sample>> by = byScenario(samples);
        by.forEach((s, xs) -> reference(by, s).ifPresent(own -> System.out.printf(Locale.ROOT,
                "%-36s blackout median %.2fx qemu-own's (%d / %d us)%n", s.label(),
                (double) stat(xs, Sample::blackoutUs).median() / own, stat(xs, Sample::blackoutUs).median(), own)));
    }

    /**
     * qemu-own's blackout median in the scenario {@code s} belongs to, for rows other than qemu-own itself that ran
     * on the same accelerator (a TCG reference says nothing about a KVM row).
     */
    private static OptionalLong reference(Map<Scenario, List<Sample>> by, Scenario s) {
        if (s.backend() == Backend.QEMU_OWN) {
            return OptionalLong.empty();
        }
        List<Sample> own = by.get(new Scenario(Backend.QEMU_OWN, s.memoryBytes(), s.vcpus(), s.vms(), s.busy()));
        long median = own == null || !own.get(0).accel().equals(by.get(s).get(0).accel()) ? -1
                : stat(own, Sample::blackoutUs).median();
        return median > 0 ? OptionalLong.of(median) : OptionalLong.empty();
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
                + "qemu_downtime_us,total_us,resume_to_return_us,prepare_us,populate_us,"
                + PHASES.stream().map(p -> p + "_us").collect(Collectors.joining(","))
                + ",guest_gap_us,control_gap_us,pps_before,pps_after,bytes_moved\n");
        for (Sample x : samples) {
            Scenario s = x.scenario();
            csv.append(String.join(",", quote(x.accel()), s.backend().cliName(), "" + s.memoryBytes(),
                    "" + s.vcpus(), "" + s.vms(), s.busy() ? "busy" : "idle", "" + x.run(), x.outcome(),
                    "" + x.blackoutUs(), "" + x.qemuDowntimeUs(), "" + x.totalUs(), "" + x.resumeToReturnUs(),
                    "" + x.prepareUs(),
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
                + " downtime = QEMU's own figure; total = prepare + cutover (hfvisor), migration start → `replace`"
                + " returning (QEMU), starting the standby excluded for both; resume → return = the new QEMU's RESUME"
                + " → `replace` returning; × qemu-own = blackout median over qemu-own's (QEMU's own switch, same"
                + " scenario, same run); guest gap = largest loop gap hfguest itself"
                + " reported in the 500 ms of guest time after the cutover, control gap = the same in the 500 ms"
                + " before it (docs/BENCHMARKS.md); –: not measured.\n\n"
                + "| accel | scenario | n | blackout median | p99 | max | × qemu-own | QEMU downtime median"
                + " | total median | resume → return median | prepare median | guest gap max | control gap max"
                + " | pages/s before → after | MiB moved median | outcomes |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        Map<Scenario, List<Sample>> by = byScenario(samples);
        by.forEach((s, xs) -> {
            Stats b = stat(xs, Sample::blackoutUs);
            OptionalLong own = reference(by, s);
            md.append(String.format(Locale.ROOT,
                    "| %s | %s | %d | %d | %d | %d | %s | %s | %d | %s | %s | %s | %s | %d → %d | %.2f | %s |%n",
                    xs.get(0).accel(), s.label(), b.n(), b.median(), b.p99(), b.max(),
                    own.isPresent() ? String.format(Locale.ROOT, "%.2f", (double) b.median() / own.getAsLong()) : "–",
                    measured(stat(xs, Sample::qemuDowntimeUs).median()), stat(xs, Sample::totalUs).median(),
                    measured(stat(xs, Sample::resumeToReturnUs).median()),
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
