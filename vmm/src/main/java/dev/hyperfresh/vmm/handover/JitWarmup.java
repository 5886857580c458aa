package dev.hyperfresh.vmm.handover;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.vmm.boot.MultibootLoader;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.control.Json;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmConfig;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the cutover's save → encode → decode → restore path on a scratch VM that never runs, so the JIT has
 * compiled it before the real cutover: interpreted, that path alone would cost milliseconds of blackout
 * (docs/jvm-latency notes). Both sides do it while preparing, when time is cheap. The standby also runs the exit
 * path the guest drives right after the cutover ({@link #exitPath}).
 */
final class JitWarmup {
    /** Iterations; {@code -Dhyperfresh.warmup=N} lowers it where every instruction is emulated. */
    private static final int ROUNDS = Integer.getInteger("hyperfresh.warmup", 300);
    /** Guest time the scratch hfguest runs: a few hundred heartbeat lines at hb_ms=1. */
    private static final int EXIT_PATH_GUEST_MS = 300;
    private static final long EXIT_PATH_TIMEOUT_MS = 30_000;

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

    /**
     * Boots the embedded hfguest on a scratch VM for {@link #EXIT_PATH_GUEST_MS} of guest time with a heartbeat
     * every millisecond, turning each line into the event subscribers would get: the KVM_RUN exits, the port bus,
     * the debug console's line assembly, the line parser and the event's JSON then run compiled in the new
     * instance's first heartbeats after a cutover, not interpreted (on PVM a byte-wise console line alone is ~150
     * exits). A scratch guest that does not end in time is stopped: warming is never worth a failed handover.
     */
    static void exitPath(Kvm kvm) {
        if (ROUNDS <= 0) {
            return;
        }
        VirtualMachine vm = VirtualMachine.create(kvm, new VmConfig("warmup-exits", 32L << 20, 1, false,
                new MultibootLoader(MultibootLoader.embeddedGuest(), "cpus=1 hb_ms=1 mem_pct=10 exit_after_ms="
                        + EXIT_PATH_GUEST_MS), VmConfig.HFGUEST));
        try {
            vm.onGuestLine(line -> {
                if (line.is(GuestLine.HEARTBEAT)) {
                    Json.MAPPER.valueToTree(Event.heartbeat(vm.config().name(), line.heartbeat(), vm.tscKhz())
                            .fields()).toString();
                }
            });
            vm.start();
            try {
                vm.exit().get(EXIT_PATH_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                vm.stop("the exit-path warm-up ran out of time");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } finally {
            vm.close();
        }
    }
}
