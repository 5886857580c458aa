package dev.hyperfresh.qemu.bench;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.launch.HfguestVm;
import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.qemu.replace.MigrationLimits;
import dev.hyperfresh.qemu.replace.QemuReplacement;
import dev.hyperfresh.qemu.replace.ReplacementMode;
import dev.hyperfresh.qemu.replace.ReplacementOptions;
import dev.hyperfresh.qemu.replace.ReplacementResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * {@code bin/bench-qemu}: replaces the QEMU running an hfguest VM N times in each mode — SHARED (x-ignore-shared,
 * the RAM stays) and COPY (an ordinary live migration) — and prints QEMU's downtime, our blackout (STOP to
 * RESUME on CLOCK_MONOTONIC) and the total time of a replacement: median, p99, max.
 */
public final class QemuBench {
    private QemuBench() {
    }

    public static void main(String[] args) throws IOException {
        Path kernel = null;
        Path qemu = null;
        Accelerator accel = Accelerator.KVM;
        int runs = 10;
        int memMiB = 128;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--kernel" -> kernel = Path.of(args[++i]);
                case "--qemu" -> qemu = Path.of(args[++i]);
                case "--accel" -> accel = Accelerator.parse(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--mem" -> memMiB = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("usage: QemuBench --kernel hfguest.bin [--qemu PATH]"
                        + " [--accel kvm|tcg] [--runs N] [--mem MiB]; unknown " + args[i]);
            }
        }
        if (kernel == null) {
            throw new IllegalArgumentException("--kernel PATH (hfguest.bin) is required");
        }
        if (qemu == null) {
            qemu = QemuProcess.defaultBinary();
        }
        MigrationLimits limits = MigrationLimits.LOCAL;
        System.out.printf("# QEMU replacement, %s, hfguest 2 vCPUs %d MiB (mem_pct=10), %d runs per mode%n",
                accel.qemuName().toUpperCase(), memMiB, runs);
        System.out.println("# KVM: " + (accel == Accelerator.KVM ? Kvm.describeHost() : "not used (TCG)"));
        System.out.printf("# migration limits set: max-bandwidth %d MiB/s, downtime-limit %d ms%n",
                limits.maxBandwidthBytesPerSecond() >> 20, limits.downtimeLimitMs());
        System.out.printf("%-7s %-22s %-25s %-22s %-10s %s%n", "mode", "QEMU downtime ms", "our blackout us",
                "total ms", "MiB sent", "guest error lines");
        System.out.printf("%-7s %-22s %-25s %-22s %-10s%n", "", "med / p99 / max", "med / p99 / max",
                "med / p99 / max", "med");
        for (ReplacementMode mode : ReplacementMode.values()) {
            Path dir = Files.createTempDirectory("hyperfresh-bench-qemu-");
            HfguestVm spec = new HfguestVm(qemu, accel, 2, memMiB, true, kernel, "cpus=2 mem_pct=10 hb_ms=50",
                    dir.resolve("guest.log"), dir.resolve("vm.qmp"));
            List<ReplacementResult> results = run(spec, dir, accel, mode, runs);
            long errors = Files.readAllLines(spec.debugLog()).stream()
                    .filter(l -> l.startsWith("ERR ") || l.startsWith("PANIC ")).count();
            System.out.printf("%-7s %-22s %-25s %-22s %-10.2f %d%n", mode.name().toLowerCase(),
                    stats(results, ReplacementResult::qemuDowntimeMs, 1), stats(results, ReplacementResult::blackoutUs, 1),
                    stats(results, ReplacementResult::totalUs, 1000),
                    median(results, ReplacementResult::transferredBytes) / 1048576.0, errors);
        }
    }

    private static List<ReplacementResult> run(HfguestVm spec, Path dir, Accelerator accel, ReplacementMode mode,
                                               int runs) {
        QemuProcess first = QemuProcess.start(spec.commandLine(), dir.resolve("qemu.log"));
        first.awaitQmp(spec.qmpSocket(), Duration.ofSeconds(60)).close();
        List<ReplacementResult> results = new ArrayList<>();
        long pid = first.pid();
        try {
            QemuProcess.sleep(Duration.ofSeconds(1)); // let the guest's memory workers get going
            ReplacementOptions options = ReplacementOptions.of(spec.qemuBinary(), mode).withAccelerator(accel);
            for (int i = 0; i < runs; i++) {
                try (QemuInstance qemu = QemuInstance.attach(spec.qmpSocket())) {
                    ReplacementResult r = QemuReplacement.replace(qemu, options, ProgressListener.NONE);
                    pid = r.newPid();
                    results.add(r);
                }
                QemuProcess.sleep(Duration.ofMillis(300));
            }
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        return results;
    }

    private static String stats(List<ReplacementResult> rs, ToLongFunction<ReplacementResult> f, long divisor) {
        long[] v = rs.stream().mapToLong(f).map(x -> x / divisor).sorted().toArray();
        return v[v.length / 2] + " / " + v[(int) Math.ceil(0.99 * v.length) - 1] + " / " + v[v.length - 1];
    }

    private static long median(List<ReplacementResult> rs, ToLongFunction<ReplacementResult> f) {
        long[] v = rs.stream().mapToLong(f).toArray();
        Arrays.sort(v);
        return v[v.length / 2];
    }
}
