package dev.hyperfresh.vmm.handover;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.sys.ImageFile;
import dev.hyperfresh.sys.Memfd;
import dev.hyperfresh.sys.RealtimePriority;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.TapDevice;
import dev.hyperfresh.sys.UnixSocket;
import dev.hyperfresh.vmm.boot.HaltLoop;
import dev.hyperfresh.vmm.control.Frame;
import dev.hyperfresh.vmm.control.FrameChannel;
import dev.hyperfresh.vmm.control.Replies;
import dev.hyperfresh.vmm.persist.InPlaceState;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmConfig;
import dev.hyperfresh.vmm.vm.VmDisk;
import dev.hyperfresh.vmm.vm.VmNic;
import dev.hyperfresh.vmm.vm.VmPci;
import dev.hyperfresh.vmm.vm.VmStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the whole cutover path — kick, park, save, encode, ledger, the take and reply frames, decode, restore,
 * resume, first run — on a scratch VM whose one vCPU really runs (a halt loop), so that the JIT has compiled it and
 * every class is loaded before the real cutover: interpreted, that path alone would cost milliseconds of blackout
 * (docs/jvm-latency notes). Both sides do it while preparing, when time is cheap. A warm-up that fails only leaves
 * the cutover cold: it is logged, never fatal.
 *
 * <p>The scratch VM has as many vCPUs as the largest VM to be handed over: code compiled only for smaller states
 * (fewer vCPUs, a shorter buffer) meets an uncommon trap at the real cutover and falls back to the interpreter there.
 */
public final class JitWarmup {
    private static final System.Logger LOG = System.getLogger(JitWarmup.class.getName());
    /**
     * Iterations: five times the calls after which bin/hfvisor's JIT options (bin/lib/hfvisor-jit) compile our code
     * and JNR's; {@code -Dhyperfresh.warmup=N} lowers it where every instruction is emulated, or raises it for a JVM
     * with the usual thresholds (300 covered C2's).
     */
    private static final int ROUNDS = Integer.getInteger("hyperfresh.warmup", 100);
    private static final long MEMORY = 16L << 20;
    /**
     * A process that warmed up for as many vCPUs before (as a standby, the old instance of the next replacement
     * was) has the path compiled: a tenth of the rounds brings its caches and the JIT's view up to date, and leaves
     * the CPUs to the standby's own warm-up, which runs at the same time.
     */
    private static final int TOP_UP_ROUNDS = Math.max(1, ROUNDS / 10);
    /** Beyond this the warm-up's own cost grows while the shapes it compiles for no longer change. */
    private static final int MAX_VCPUS = 8;
    private static int warmedForVcpus;
    /** What a warm-up {@link #ahead} of the adopt covered (0: none, or the adopt has used it). */
    private static int aheadForVcpus;
    /** A standby's last warm-up VM and ledger, kept for its rehearsal right before the cutover ({@link #rehearse}). */
    private static final AtomicReference<Rig> RIG = new AtomicReference<>();

    private record Rig(VirtualMachine vm, Ledger ledger) implements AutoCloseable {
        @Override
        public void close() {
            try (ledger) {
                vm.close();
            }
        }
    }

    private JitWarmup() {
    }

    /**
     * A standby's warm-up for a one-vCPU VM, started on a thread of its own as soon as it answers: it runs while the
     * console looks the instance up and asks for the remap and the old instance sends the adopt, instead of after
     * the adopt inside the remap (a one-shot replace of a 1-vCPU VM, back to back: remap 1.49 s instead of 2.19 s).
     * An adopt waits for it to end and needs no more for a one-vCPU VM; one of larger VMs warms up for their shape.
     * Only the adopt right after it is spared: a process warmed long before runs the cutover path cold (measured:
     * the old instance's save 0.45-1.3 ms instead of ~0.29 ms), so later handovers top up as before.
     */
    public static void ahead(Kvm kvm) {
        inBackground(() -> {
            if (warmedForVcpus == 0) {   // else an adopt came first and warmed up for itself
                aheadForVcpus = warm(kvm, 1, true) ? 1 : 0;
            }
        });
    }

    /**
     * An instance's warm-up for its VMs ({@code vcpus}: the most one has), on a thread of its own once it runs them:
     * its first handover then tops up inside the remap as a former standby's does, instead of warming up from cold
     * there while the standby does the same (docs/BENCHMARKS.md: a one-shot replace of a launched instance).
     */
    public static void early(Kvm kvm, int vcpus) {
        inBackground(() -> {
            if (warmedForVcpus == 0) {   // else a handover came first and warmed up for itself
                warm(kvm, shape(vcpus), false);
            }
        });
    }

    private static void inBackground(Runnable warmUp) {
        Thread t = new Thread(() -> {
            synchronized (JitWarmup.class) {
                warmUp.run();
            }
        }, "hf-warmup");
        t.setDaemon(true);
        t.start();
    }

    /**
     * {@code vcpus}: the most any VM to be handed over has; {@code incoming}: a standby's, whose scratch VM is kept
     * for {@link #rehearse}. Waits for a warm-up in the background still running.
     */
    static synchronized void run(Kvm kvm, int vcpus, boolean incoming) {
        int shape = shape(vcpus);
        boolean aheadCovers = aheadForVcpus >= shape;
        aheadForVcpus = 0;
        if (aheadCovers) {
            LOG.log(INFO, "cutover warm-up: done ahead for {0} vCPU(s)", shape);
            return;
        }
        warm(kvm, shape, incoming);
    }

    private static int shape(int vcpus) {
        return Math.max(1, Math.min(vcpus, MAX_VCPUS));
    }

    /** False when it failed (logged: the next cutover runs cold) or is switched off. */
    private static boolean warm(Kvm kvm, int shape, boolean keep) {
        if (ROUNDS <= 0) {
            return false;
        }
        int rounds = warmedForVcpus >= shape ? TOP_UP_ROUNDS : ROUNDS;
        long start = System.nanoTime();
        try {
            vmPath(kvm, shape, rounds, keep);
            ledgerAndFrames(rounds);
            warmedForVcpus = Math.max(warmedForVcpus, shape);
            LOG.log(INFO, "cutover warm-up: {0} rounds for {1} vCPU(s) in {2} ms", rounds, shape,
                    (System.nanoTime() - start) / 1_000_000);
            return true;
        } catch (RuntimeException e) {
            LOG.log(WARNING, "the cutover warm-up failed; the next cutover runs cold: " + e);
            return false;
        }
    }

    /** A NIC on a detached tap queue, or none on a host without /dev/net/tun (whose VMs have no NICs either). */
    private static List<VmNic.Tap> warmupNic() {
        try {
            return List.of(new VmNic.Tap(TapDevice.detached(), VmNic.defaultMac("warmup")));
        } catch (SysException noTun) {
            return List.of();
        }
    }

    private static void vmPath(Kvm kvm, int vcpus, int rounds, boolean keep) {
        VirtualMachine vm = VirtualMachine.create(kvm, new VmConfig("warmup", MEMORY, vcpus, false, new HaltLoop(),
                VmConfig.HFGUEST));
        Rig rig;
        try {
            // a disk on a memfd and a NIC on a detached tap queue, so that their save, restore and deferred work are
            // compiled too (a VM's first cutover with either ran their code cold: milliseconds for a disk)
            VmPci.attach(vm, List.of(new VmDisk.Image(Path.of("memfd:warmup-disk"),
                    ImageFile.adopt(Memfd.create("warmup-disk", 1 << 20, false)), false)),
                    warmupNic());
            rig = new Rig(vm, Ledger.create(1 << 20));
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
        try {
            vm.start();
            for (int i = 0; i < rounds; i++) {
                round(rig, i % 2 == 0);
            }
        } catch (RuntimeException e) {
            rig.close();
            throw e;
        }
        if (keep) {
            release();
            RIG.set(rig);
        } else {
            rig.close();
        }
    }

    /** One round of the cutover's VM path on the rig; {@code early}: the first vCPU restored as the cutover's is. */
    private static void round(Rig rig, boolean early) {
        VirtualMachine vm = rig.vm();
        vm.requestPause();
        vm.awaitPaused();
        vm.standByToResume();
        saveAndRestore(rig, early);
        VirtualMachine.resumeAll(new ArrayList<>(List.of(vm)));   // the cutover's list type
        vm.awaitFirstRunNanos(1_000);
    }

    /** The rig's paused VM saved into its ledger and restored from there, as the cutover's two sides do. */
    private static void saveAndRestore(Rig rig, boolean early) {
        VirtualMachine vm = rig.vm();
        Ledger ledger = rig.ledger();
        InPlaceState.EarlyRestore restoring = vm.earlyRestore();
        ledger.writeStates(List.of(vm.stateInPlace()), 0);
        if (early) {   // the cutover restores early what it can, and the rest after the offer
            restoring.advance(ledger.firstState(), ledger.firstStateWritten(), 0);
        }
        vm.restoreState(ledger.states().get(0), 0, restoring);
    }

    /**
     * A standby's cutover path (save, early restore, restore) on its last warm-up's VM, right before its spinning
     * wait for the state, while the guest still runs on the old instance: the path's code and data, ours and the
     * kernel's, are then in the CPU's caches, which the seconds since the warm-up had emptied (2026-12-04: the
     * first vCPU's early restore had cost ~1.7× the same restore after the offer). The scratch VM stays paused, so
     * that none of its threads runs during the cutover; a failure only closes it. False when there was none to
     * rehearse on, or it failed.
     */
    static boolean rehearse() {
        Rig rig = RIG.getAndSet(null);
        if (rig == null) {
            return false;
        }
        try {
            VirtualMachine vm = rig.vm();
            if (vm.status() == VmStatus.RUNNING) {
                vm.requestPause();
                vm.awaitPaused();
            }
            saveAndRestore(rig, true);
            RIG.compareAndSet(null, rig);
            return true;
        } catch (RuntimeException e) {
            LOG.log(WARNING, "the cutover rehearsal failed; the cutover runs as it is: " + e);
            rig.close();
            return false;
        }
    }

    /** Closes the scratch VM kept for {@link #rehearse}, if any: once the handover it was kept for has ended. */
    static void release() {
        Rig rig = RIG.getAndSet(null);
        if (rig != null) {
            rig.close();
        }
    }

    private static void ledgerAndFrames(int rounds) {
        try (Ledger ledger = Ledger.create(0); UnixSocket.Pair pair = UnixSocket.pair()) {
            FrameChannel old = new FrameChannel(pair.first());
            FrameChannel standby = new FrameChannel(pair.second());
            for (int i = 0; i < rounds; i++) {
                try (RealtimePriority boost = RealtimePriority.raise()) {
                    for (CutoverStep step : CutoverStep.values()) {
                        ledger.stamp(step);
                    }
                    ledger.transition(Ledger.Owner.OLD, Ledger.Owner.OFFERED);
                    ledger.transition(Ledger.Owner.OFFERED, Ledger.Owner.OLD);
                    ledger.trace();
                    old.send(OutgoingHandover.TAKE, List.of());
                    Frame take = standby.receive();
                    standby.send(Replies.ok(take.header().get("id")), List.of());
                    old.receive();
                }
            }
        }
    }
}
