package dev.hyperfresh.bench;

import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.launch.HfguestVm;
import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.qemu.replace.Phase;
import dev.hyperfresh.qemu.replace.QemuReplacement;
import dev.hyperfresh.qemu.replace.ReplacementMode;
import dev.hyperfresh.qemu.replace.ReplacementOptions;
import dev.hyperfresh.qemu.replace.ReplacementResult;
import dev.hyperfresh.vmm.heartbeat.CutoverGap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * hfguest in a real QEMU, replaced by {@link QemuReplacement} in a chain. Shared: the RAM is a shared memfd and
 * the migration skips it (x-ignore-shared). Copy: plain private RAM, an ordinary live migration, as a QEMU user
 * has it without us. Own: shared, but the new QEMU resumes by itself (QEMU's own switch, the reference). Scenarios
 * that differ only in that (qemu-shared and qemu-own) take turns on the same VM, each round in the other order, so
 * that their ratio compares the same guest at the same moments, not two guests a few minutes apart (the host's
 * pace drifts: qemu-own's median alone moved 2.2-3.6 ms between batches). The guest's view comes from its
 * debug-port lines in the debugcon file. Total = migration start to {@code replace} returning, so that, as for
 * hfvisor, starting the standby is not counted.
 */
final class QemuChain implements ReplacementChain {
    private final Path qemu;
    private final Path kernel;
    private final Path dir;
    private final List<Scenario> turns;
    private final QemuAccelChoice accel;
    /** NICs on user networking added to the VM, virtio-net and e1000 in turn: device state the migration carries. */
    private final int nics;

    QemuChain(Path qemu, Path kernel, Path dir, List<Scenario> turns, QemuAccelChoice accel, int nics) {
        if (turns.stream().map(QemuChain::vmOf).distinct().count() != 1) {
            throw new IllegalArgumentException("scenarios taking turns must run the same VM: " + turns);
        }
        this.qemu = qemu;
        this.kernel = kernel;
        this.dir = dir;
        this.turns = List.copyOf(turns);
        this.accel = accel;
        this.nics = nics;
    }

    /**
     * The scenarios as chains: each QEMU scenario with those next to it that can take turns on its VM (the same
     * QEMU RAM mode, size, vCPUs, VMs and load: {@link BenchArgs#scenarios} lists a shape's backends together),
     * every other scenario alone.
     */
    static List<List<Scenario>> chainsOf(List<Scenario> scenarios) {
        List<List<Scenario>> chains = new ArrayList<>();
        for (Scenario s : scenarios) {
            List<Scenario> last = chains.isEmpty() ? List.of() : chains.get(chains.size() - 1);
            if (s.backend().isQemu() && !last.isEmpty() && last.get(0).backend().isQemu()
                    && vmOf(last.get(0)).equals(vmOf(s))) {
                last.add(s);
            } else {
                chains.add(new ArrayList<>(List.of(s)));
            }
        }
        return chains;
    }

    private static List<Object> vmOf(Scenario s) {
        return List.of(s.backend().qemuMode(), s.memoryBytes(), s.vcpus(), s.vms(), s.busy());
    }

    @Override
    public List<Sample> run(int runs) throws Exception {
        Scenario s = turns.get(0);
        ReplacementMode mode = s.backend().qemuMode();
        Accelerator a = accel.accelerator();
        Path vmDir = Files.createTempDirectory(dir, "qemu-");
        HfguestVm spec = new HfguestVm(qemu, a, s.vcpus(), (int) (s.memoryBytes() >> 20),
                mode == ReplacementMode.SHARED, kernel, s.guestArgs(), vmDir.resolve("guest.log"),
                vmDir.resolve("vm.qmp"));
        List<String> argv = new ArrayList<>(spec.commandLine());
        for (int n = 0; n < nics; n++) {
            argv.addAll(List.of("-nic", "user,model=" + (n % 2 == 0 ? "virtio-net-pci" : "e1000")));
        }
        QemuProcess first = QemuProcess.start(argv, vmDir.resolve("qemu.log"));
        long pid = first.pid();
        GuestMeter meter = new GuestMeter("vm0");
        List<Sample> out = new ArrayList<>();
        try (DebugLogTail guest = new DebugLogTail(spec.debugLog(), meter)) {
            first.awaitQmp(spec.qmpSocket(), Duration.ofSeconds(60)).close();
            meter.awaitBeats(20 * s.vcpus(), 120_000);
            // the harness times replacements and counts what the guest lost itself (completed-guest-errors-N)
            ReplacementOptions ours = ReplacementOptions.of(qemu, mode).withAccelerator(a).withCpuStateLossAccepted();
            for (int round = 0; round < runs * turns.size(); round++) {
                int r = round / turns.size() + 1;
                Scenario turn = turns.get((round + r - 1) % turns.size());   // each round in the other order
                ReplacementOptions options = turn.backend().isQemuReference() ? ours.withQemuResumingItself() : ours;
                Thread.sleep(1000);
                long errorsBefore = guest.errors();
                long[] migrationStart = {-1, -1}; // System.nanoTime, elapsedUs of the replacement
                ReplacementResult res;
                try (QemuInstance old = QemuInstance.attach(spec.qmpSocket())) {
                    res = QemuReplacement.replace(old, options, p -> {
                        if (p.phase().equals(Phase.MIGRATING.word()) && migrationStart[0] < 0) {
                            migrationStart[0] = System.nanoTime();
                            migrationStart[1] = p.elapsedUs();
                        }
                    });
                }
                long done = System.nanoTime();
                pid = res.newPid();
                meter.awaitBeats(10 * s.vcpus(), 60_000);
                Thread.sleep(1000);
                long t1 = migrationStart[0];
                // QEMU publishes no heartbeat events: the cutover is placed by arrival, 20 ms before the STOP as
                // far as this process can place it (done minus the blackout), well inside the 500 ms window.
                CutoverGap.Figures gap = meter.cutoverAfterArrivalsBefore(done - res.blackoutUs() * 1000
                        - 20_000_000L);
                long errors = guest.errors() - errorsBefore;
                out.add(new Sample(turn, accel.rowLabel(), r, res.blackoutUs(), res.qemuDowntimeMs() * 1000,
                        res.totalUs() - migrationStart[1], res.resumeToReturnUs(), -1, -1, Map.of(), GuestMeter.orUnmeasured(gap.guestGapUs()),
                        GuestMeter.orUnmeasured(gap.controlGapUs()),
                        meter.pagesPerSecond(t1 - 1_000_000_000L, t1),
                        meter.pagesPerSecond(done, done + 1_000_000_000L),
                        res.transferredBytes(), errors == 0 ? "completed" : "completed-guest-errors-" + errors,
                        res.traceUs()));
            }
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        return out;
    }
}
