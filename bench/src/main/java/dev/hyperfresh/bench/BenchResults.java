package dev.hyperfresh.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/** Replacement samples as CSV (every run), a markdown table and a PNG chart (per scenario). */
final class BenchResults {
    private static final List<String> PHASES = List.of("converge", "pause", "copy", "save", "offer", "handoff",
            "restore", "resume");

    private BenchResults() {
    }

    static void printSummary(Scenario s, List<Sample> got) {
        Stats b = stat(got, Sample::blackoutUs);
        Stats t = stat(got, Sample::totalUs);
        System.out.printf("%-32s blackout median %6d us  p99 %6d  max %6d | total median %8d us | guest gap max %6d us"
                + " | pages/s %d -> %d | copied median %d MiB%n", s.label(), b.median(), b.p99(), b.max(), t.median(),
                stat(got, Sample::guestGapUs).max(), stat(got, Sample::ppsBefore).median(),
                stat(got, Sample::ppsAfter).median(), stat(got, Sample::bytesCopied).median() >> 20);
    }

    static void write(Path dir, String kvm, List<Sample> samples) throws IOException {
        StringBuilder csv = new StringBuilder("kvm,mode,memory_bytes,vcpus,vms,load,run,outcome,blackout_us,total_us,"
                + "prepare_us,populate_us," + PHASES.stream().map(p -> p + "_us").collect(Collectors.joining(","))
                + ",guest_gap_us,pps_before,pps_after,bytes_copied\n");
        for (Sample x : samples) {
            Scenario s = x.scenario();
            csv.append(String.join(",", quote(kvm), s.mode(), "" + s.memoryBytes(), "" + s.vcpus(), "" + s.vms(),
                    s.busy() ? "busy" : "idle", "" + x.run(), x.outcome(), "" + x.blackoutUs(), "" + x.totalUs(),
                    "" + x.prepareUs(), "" + x.populateUs(),
                    PHASES.stream().map(p -> "" + x.phasesUs().getOrDefault(p, -1L)).collect(Collectors.joining(",")),
                    "" + x.guestGapUs(), "" + x.ppsBefore(), "" + x.ppsAfter(), "" + x.bytesCopied())).append('\n');
        }
        Files.writeString(dir.resolve("replace.csv"), csv);
        Map<Scenario, List<Sample>> by = new LinkedHashMap<>();
        samples.forEach(x -> by.computeIfAbsent(x.scenario(), k -> new ArrayList<>()).add(x));
        StringBuilder md = new StringBuilder("Measured on: **" + kvm + "**. Times in µs; blackout = last guest"
                + " instruction on the old instance → first KVM_RUN on the new (CLOCK_MONOTONIC); total = prepare +"
                + " cutover as the operator waits for them; guest gap = largest loop gap hfguest itself reported.\n\n"
                + "| kvm | scenario | n | blackout median | p99 | max | total median | prepare median | guest gap max"
                + " | pages/s before → after | MiB copied median |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        DefaultCategoryDataset chart = new DefaultCategoryDataset();
        by.forEach((s, xs) -> {
            Stats b = stat(xs, Sample::blackoutUs);
            md.append(String.format("| %s | %s | %d | %d | %d | %d | %d | %d | %d | %d → %d | %d |%n", kvm, s.label(),
                    b.n(), b.median(), b.p99(), b.max(), stat(xs, Sample::totalUs).median(),
                    stat(xs, Sample::prepareUs).median(), stat(xs, Sample::guestGapUs).max(),
                    stat(xs, Sample::ppsBefore).median(), stat(xs, Sample::ppsAfter).median(),
                    stat(xs, Sample::bytesCopied).median() >> 20));
            chart.addValue(b.median(), "blackout median", s.label());
            chart.addValue(b.p99(), "blackout p99", s.label());
        });
        Files.writeString(dir.resolve("replace.md"), md);
        JFreeChart c = ChartFactory.createBarChart("Live replacement blackout (" + kvm + ")", "scenario", "µs", chart,
                PlotOrientation.HORIZONTAL, true, false, false);
        ChartUtils.saveChartAsPNG(dir.resolve("replace.png").toFile(), c, 1000, 120 + 60 * by.size());
    }

    private static Stats stat(List<Sample> xs, ToLongFunction<Sample> f) {
        return Stats.of(xs.stream().mapToLong(f).toArray());
    }

    private static String quote(String s) {
        return "\"" + s.replace("\"", "'") + "\"";
    }
}
