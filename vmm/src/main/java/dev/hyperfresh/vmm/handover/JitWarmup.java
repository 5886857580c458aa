package dev.hyperfresh.vmm.handover;

import static java.lang.System.Logger.Level.WARNING;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.sys.RealtimePriority;
import dev.hyperfresh.sys.UnixSocket;
import dev.hyperfresh.vmm.boot.HaltLoop;
import dev.hyperfresh.vmm.control.Frame;
import dev.hyperfresh.vmm.control.FrameChannel;
import dev.hyperfresh.vmm.control.Replies;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmConfig;
import java.util.List;

/**
 * Runs the whole cutover path — kick, park, save, encode, ledger, the take and reply frames, decode, restore,
 * resume, first run — on a scratch VM whose one vCPU really runs (a halt loop), so that the JIT has compiled it and
 * every class is loaded before the real cutover: interpreted, that path alone would cost milliseconds of blackout
 * (docs/jvm-latency notes). Both sides do it while preparing, when time is cheap. A warm-up that fails only leaves
 * the cutover cold: it is logged, never fatal.
 */
final class JitWarmup {
    private static final System.Logger LOG = System.getLogger(JitWarmup.class.getName());
    /** Iterations; {@code -Dhyperfresh.warmup=N} lowers it where every instruction is emulated. */
    private static final int ROUNDS = Integer.getInteger("hyperfresh.warmup", 300);
    private static final long MEMORY = 16L << 20;

    private JitWarmup() {
    }

    static void run(Kvm kvm) {
        if (ROUNDS <= 0) {
            return;
        }
        try {
            vmPath(kvm);
            ledgerAndFrames();
        } catch (RuntimeException e) {
            LOG.log(WARNING, "the cutover warm-up failed; the next cutover runs cold: " + e);
        }
    }

    private static void vmPath(Kvm kvm) {
        try (VirtualMachine vm = VirtualMachine.create(kvm, new VmConfig("warmup", MEMORY, 1, false, new HaltLoop(),
                VmConfig.HFGUEST))) {
            vm.start();
            for (int i = 0; i < ROUNDS; i++) {
                vm.requestPause();
                vm.awaitPaused();
                vm.restoreState(StateCodec.decode(StateCodec.encode(vm.saveState())).advancedBy(0));
                vm.resume();
                vm.awaitFirstRunNanos(1_000);
            }
        }
    }

    private static void ledgerAndFrames() {
        try (Ledger ledger = Ledger.create(1 << 16); UnixSocket.Pair pair = UnixSocket.pair()) {
            FrameChannel old = new FrameChannel(pair.first());
            FrameChannel standby = new FrameChannel(pair.second());
            byte[] state = new byte[4096];
            for (int i = 0; i < ROUNDS; i++) {
                try (RealtimePriority boost = RealtimePriority.raise()) {
                    for (CutoverStep step : CutoverStep.values()) {
                        ledger.stamp(step);
                    }
                    ledger.writeStates(List.of(state), 0);
                    ledger.transition(Ledger.Owner.OLD, Ledger.Owner.OFFERED);
                    ledger.readStates();
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
