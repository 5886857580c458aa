package dev.hyperfresh.vmm.handover;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmConfig;

/**
 * Runs the cutover's save → encode → decode → restore path on a scratch VM that never runs, so the JIT has
 * compiled it before the real cutover: interpreted, that path alone would cost milliseconds of blackout
 * (docs/jvm-latency notes). Both sides do it while preparing, when time is cheap.
 */
final class JitWarmup {
    /** Iterations; {@code -Dhyperfresh.warmup=N} lowers it where every instruction is emulated. */
    private static final int ROUNDS = Integer.getInteger("hyperfresh.warmup", 300);

    private JitWarmup() {
    }

    static void run(Kvm kvm) {
        if (ROUNDS <= 0) {
            return;
        }
        try (GuestMemory memory = GuestMemory.create("warmup", 16L << 20, false)) {
            VirtualMachine vm = VirtualMachine.adopt(kvm, new VmConfig("warmup", 16L << 20, 1, false, null,
                    "hfguest"), memory);
            try {
                vm.startPaused();
                for (int i = 0; i < ROUNDS; i++) {
                    vm.restoreState(IncomingHandover.advanced(StateCodec.decode(StateCodec.encode(vm.saveState())),
                            0));
                }
            } finally {
                vm.close();
            }
        }
    }
}
