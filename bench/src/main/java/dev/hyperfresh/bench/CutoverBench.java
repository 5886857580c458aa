package dev.hyperfresh.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.sys.RealtimePriority;
import dev.hyperfresh.vmm.control.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * {@code bin/bench-cutover}: the hfvisor cutover's critical path with only the KVM ioctls left out, step by step,
 * each with the project's own classes ({@code VcpuGate}, {@code ThreadSignals}, {@code StateCodec}, {@code Ledger},
 * {@code FrameChannel}) beside its floor, the barest mechanism for the same job timed in the same rounds. Every
 * step runs under normal scheduling and, where this process may, with the cutover's threads at SCHED_FIFO
 * ({@link RealtimePriority}), as hfvisor runs them. The KVM part (kick out of KVM_RUN, save, restore) is
 * {@code bin/bench-native}'s. Usage and output: docs/BENCHMARKS.md, "Critical path without KVM".
 */
public final class CutoverBench {
    static final String USAGE =
            "usage: bench-cutover [--rounds N] [--warmup N] [--scheduling normal|fifo|both] [--json]";

    record Args(int rounds, int warmup, List<Boolean> realtime, boolean json) {
        static Args parse(String... args) {
            int rounds = 2000;
            int warmup = 1000;
            List<Boolean> realtime = List.of(false, true);
            boolean json = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--json" -> json = true;
                    case "--rounds" -> rounds = Integer.parseInt(value(args, ++i));
                    case "--warmup" -> warmup = Integer.parseInt(value(args, ++i));
                    case "--scheduling" -> realtime = switch (value(args, ++i)) {
                        case "normal" -> List.of(false);
                        case "fifo" -> List.of(true);
                        case "both" -> List.of(false, true);
                        default -> throw new IllegalArgumentException("--scheduling is normal, fifo or both");
                    };
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + "\n" + USAGE);
                }
            }
            if (rounds < 1 || warmup < 0) {
                throw new IllegalArgumentException("--rounds must be at least 1 and --warmup at least 0");
            }
            return new Args(rounds, warmup, realtime, json);
        }

        private static String value(String[] args, int i) {
            if (i >= args.length) {
                throw new IllegalArgumentException(args[i - 1] + " needs a value\n" + USAGE);
            }
            return args[i];
        }
    }

    /** One step's figures under one scheduling: the real thing and its floor (measured, or quoted). */
    record Result(CutoverProbe.Row row, Stats real, Stats floor, CutoverProbe.QuotedFloor quoted) {
        long median() {
            return real.median();
        }

        long p99() {
            return real.p99();
        }

        long floorMedian() {
            return quoted != null ? quoted.medianNanos() : floor.median();
        }

        long floorP99() {
            return quoted != null ? quoted.p99Nanos() : floor.p99();
        }

        String floorWhat() {
            return quoted != null ? row.floor() + " (" + quoted.source() + "; quoted, not measured here)" : row.floor();
        }
    }

    private interface ProbeFactory {
        CutoverProbe open(boolean realtime) throws Exception;
    }

    private static final List<ProbeFactory> PROBES = List.of(
            rt -> new ParkProbe(1, false, rt),
            rt -> new ParkProbe(2, false, rt),
            rt -> new ParkProbe(2, true, rt),
            rt -> new StateProbe(),
            OfferProbe::new,
            SocketProbe::new,
            rt -> new ClockProbe());

    private CutoverBench() {
    }

    public static void main(String[] args) throws Exception {
        Args a;
        try {
            a = Args.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        run(a, System.out);
    }

    static void run(Args args, PrintStream out) throws Exception {
        String started = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String loadBefore = loadAverage();
        boolean fifoAllowed;
        try (RealtimePriority probe = RealtimePriority.raise()) {
            fifoAllowed = probe.raised();
        }
        List<Boolean> modes = args.realtime().stream().filter(rt -> !rt || fifoAllowed).toList();
        List<List<Result>> byMode = new ArrayList<>();
        modes.forEach(m -> byMode.add(new ArrayList<>()));
        // Probe by probe, each under every scheduling in turn, so that the two see the same minute's load.
        for (ProbeFactory factory : PROBES) {
            for (int m = 0; m < modes.size(); m++) {
                byMode.get(m).addAll(measure(factory, modes.get(m), args));
            }
        }
        byMode.forEach(results -> results.sort(Comparator.comparingInt(r -> r.row().order())));
        String loadAfter = loadAverage();
        if (args.json()) {
            out.println(json(args, started, loadBefore, loadAfter, fifoAllowed, modes, byMode).toPrettyString());
            return;
        }
        out.printf("# HyperFresh cutover critical path without KVM (bin/bench-cutover), %s%n", started);
        out.printf("# %d rounds after %d warm-up; per step median / p99 / max in µs, beside its floor%n",
                args.rounds(), args.warmup());
        out.printf("# host: %d CPUs, load average %s before, %s after (/proc/loadavg)%n",
                Runtime.getRuntime().availableProcessors(), loadBefore, loadAfter);
        if (!fifoAllowed && args.realtime().contains(true)) {
            out.println("# SCHED_FIFO not allowed here (needs CAP_SYS_NICE or RLIMIT_RTPRIO): FIFO rows skipped");
        }
        for (int m = 0; m < modes.size(); m++) {
            printTable(out, modes.get(m), byMode.get(m));
        }
    }

    private static List<Result> measure(ProbeFactory factory, boolean realtime, Args args) throws Exception {
        try (RealtimePriority boost = realtime ? RealtimePriority.raise() : null;
             CutoverProbe probe = factory.open(realtime)) {
            int n = probe.rows().size();
            long[] real = new long[n];
            long[] floor = new long[n];
            for (int i = 0; i < args.warmup(); i++) {
                probe.round(real, floor);
            }
            long[][] reals = new long[n][args.rounds()];
            long[][] floors = new long[n][args.rounds()];
            for (int i = 0; i < args.rounds(); i++) {
                probe.round(real, floor);
                for (int r = 0; r < n; r++) {
                    reals[r][i] = real[r];
                    floors[r][i] = floor[r];
                }
            }
            List<Result> results = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                results.add(new Result(probe.rows().get(r), Stats.of(reals[r]), Stats.of(floors[r]), probe.quoted(r)));
            }
            return results;
        }
    }

    private static void printTable(PrintStream out, boolean realtime, List<Result> results) {
        out.println();
        out.println(realtime ? "## SCHED_FIFO: the cutover's threads raised as hfvisor raises them (vCPU threads"
                + " from their kick or resume until they leave the gate)" : "## normal scheduling (SCHED_OTHER)");
        out.printf("%-64s %8s %8s %9s │ %8s %8s %6s │ %s%n", "step", "median", "p99", "max", "floor", "p99",
                "×floor", "floor is");
        for (Result r : results) {
            out.printf("%-64s %8.1f %8.1f %9.1f │ %8.1f %8.1f %6.1f │ %s%n", r.row().step(), us(r.real().median()),
                    us(r.real().p99()), us(r.real().max()), us(r.floorMedian()), us(r.floorP99()),
                    (double) r.real().median() / Math.max(1, r.floorMedian()), r.floorWhat());
        }
        out.printf("total, blackout path without KVM (2 vCPUs; %s): medians %.1f µs (floors %.1f µs), "
                + "p99s %.1f µs (floors %.1f µs)%n", countedSteps(results), us(total(results, Result::median)),
                us(total(results, Result::floorMedian)), us(total(results, Result::p99)),
                us(total(results, Result::floorP99)));
        out.println("not in it: the kick (before the guest's last instruction), the take hop (sent as the pause"
                + " begins), the reply hop (after the first run); KVM's save and restore: bin/bench-native");
    }

    private static String countedSteps(List<Result> results) {
        return results.stream().filter(r -> r.row().inTotal()).map(r -> r.row().step().replaceAll(" \\(.*", ""))
                .reduce((x, y) -> x + ", " + y).orElse("none");
    }

    private static long total(List<Result> results, ToLongFunction<Result> figure) {
        return results.stream().filter(r -> r.row().inTotal()).mapToLong(figure).sum();
    }

    private static ObjectNode json(Args args, String started, String loadBefore, String loadAfter,
                                   boolean fifoAllowed, List<Boolean> modes, List<List<Result>> byMode) {
        ObjectNode root = Json.object().put("bench", "cutover").put("started", started)
                .put("rounds", args.rounds()).put("warmup", args.warmup())
                .put("cpus", Runtime.getRuntime().availableProcessors()).put("load_before", loadBefore)
                .put("load_after", loadAfter).put("fifo_allowed", fifoAllowed);
        ArrayNode runs = root.putArray("schedulings");
        for (int m = 0; m < modes.size(); m++) {
            ObjectNode run = runs.addObject().put("scheduling", modes.get(m) ? "fifo" : "normal");
            ArrayNode steps = run.putArray("steps");
            for (Result r : byMode.get(m)) {
                steps.addObject().put("step", r.row().step()).put("in_total", r.row().inTotal())
                        .put("median_us", us(r.real().median())).put("p99_us", us(r.real().p99()))
                        .put("max_us", us(r.real().max())).put("n", r.real().n())
                        .put("floor", r.floorWhat()).put("floor_measured", r.quoted() == null)
                        .put("floor_median_us", us(r.floorMedian())).put("floor_p99_us", us(r.floorP99()));
            }
            run.put("total_median_us", us(total(byMode.get(m), Result::median)))
                    .put("floor_total_median_us", us(total(byMode.get(m), Result::floorMedian)))
                    .put("total_p99_us", us(total(byMode.get(m), Result::p99)))
                    .put("floor_total_p99_us", us(total(byMode.get(m), Result::floorP99)));
        }
        return root;
    }

    private static double us(long nanos) {
        return Math.round(nanos / 100.0) / 10.0;
    }

    private static String loadAverage() throws IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }
}
