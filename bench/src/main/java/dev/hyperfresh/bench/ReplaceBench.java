package dev.hyperfresh.bench;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.qemu.launch.QemuProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code bin/bench-replace}: live replacements of a running hypervisor process, measured — hfvisor (RAM remapped
 * or copied) and QEMU (RAM shared with x-ignore-shared, or an ordinary live migration) side by side, with the same
 * hfguest, sizes and load. For each scenario it starts an instance, then replaces it RUNS times in a chain (each
 * new instance is the next one's old), recording the blackout, the total time and hfguest's own view
 * (throughput around the switch, largest gap); qemu-shared and qemu-own of one shape take turns on one VM
 * ({@link QemuChain}). QEMU rows come after a few unrecorded QEMU replacements. Writes CSV,
 * a markdown table and a PNG chart.
 */
public final class ReplaceBench {
    private static final int QEMU_WARMUP_RUNS = 3;

    private ReplaceBench() {
    }

    public static void main(String[] argv) throws Exception {
        BenchArgs args;
        try {
            args = BenchArgs.parse(argv);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n" + BenchArgs.USAGE);
            System.exit(2);
            return;
        }
        String kvm = HostKvm.describe();
        QemuAccelChoice qemuAccel = null;
        if (args.anyQemu()) {
            try {
                qemuAccel = QemuAccelChoice.choose(args.qemuAccel(), Kvm.unusableReason(), kvm);
            } catch (IllegalArgumentException e) {
                System.err.println("bench-replace: " + e.getMessage());
                System.exit(2);
                return;
            }
        }
        List<Scenario> scenarios = args.scenarios();
        System.out.println("# bench-replace, " + args.runs() + " runs per scenario"
                + (args.backends().stream().allMatch(Backend::isQemu) ? "" : "; hfvisor rows on " + kvm)
                + (qemuAccel == null ? "" : "; QEMU rows on " + qemuAccel.rowLabel())
                + (args.qemuNics() == 0 ? "" : ", their VMs with " + args.qemuNics() + " NICs on user networking"));
        if (args.anyQemu() && args.vmCounts().stream().anyMatch(n -> n != 1)) {
            System.out.println("# QEMU rows only for --vms 1: a QEMU process runs one VM");
        }
        Files.createDirectories(args.out());
        Path work = Files.createTempDirectory("hf-bench");
        List<Sample> samples = new ArrayList<>();
        Optional<Scenario> firstQemu = scenarios.stream().filter(s -> s.backend().isQemu()).findFirst();
        if (firstQemu.isPresent()) {
            // This JVM drives the QEMU replacements itself: its first ones run cold, its JIT compilers taking the
            // CPUs the QEMUs' threads wait for, and the first row came out 1.3x the same row run second.
            System.out.println("# warm-up: " + QEMU_WARMUP_RUNS + " QEMU replacements, not recorded");
            new QemuChain(QemuProcess.defaultBinary(), args.kernel(), work, List.of(firstQemu.get()), qemuAccel,
                    args.qemuNics()).run(QEMU_WARMUP_RUNS);
        }
        for (List<Scenario> turns : QemuChain.chainsOf(scenarios)) {
            Scenario first = turns.get(0);
            ReplacementChain chain = first.backend().isQemu()
                    ? new QemuChain(QemuProcess.defaultBinary(), args.kernel(), work, turns, qemuAccel, args.qemuNics())
                    : new HfvisorChain(args.launcher(), work, first, kvm);
            List<Sample> got = chain.run(args.runs());
            samples.addAll(got);
            for (Scenario s : turns) {
                BenchResults.printSummary(s, got.stream().filter(g -> g.scenario().equals(s)).toList());
            }
        }
        BenchResults.printRatios(samples);
        BenchResults.write(args.out(), samples);
        System.out.println("# wrote " + args.out().resolve("replace.csv") + ", replace.md, replace.png");
    }
}
