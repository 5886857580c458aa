package dev.hyperfresh.bench;

import dev.hyperfresh.sys.ThreadSignals;
import dev.hyperfresh.vmm.vm.VcpuGate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * The pause and the resume through the real {@link VcpuGate}, with {@code vcpus} {@link KickableThread}s (idle,
 * or {@code busy}: computing, as the guests do): the
 * cutover thread asks for the pause, kicks each thread as {@code Vcpu.kick} does and spins in {@code awaitParked};
 * later {@code resume} lets them run. With {@code standbySpinning}, a second thread spins meanwhile, as the
 * standby's does once it is told to take as the pause begins: on a host with few CPUs both compete with the vCPU
 * threads for a CPU.
 */
final class ParkProbe implements CutoverProbe {
    /** The C probe's kick on a PVM host (shared/notes/this-platform.md): a vCPU thread blocked in KVM_RUN. */
    static final QuotedFloor C_KICK = new QuotedFloor(15_000, 43_000, "C probe kick.c on a PVM host, 2026-11-25");

    private final VcpuGate gate = new VcpuGate();
    private final List<KickableThread> threads = new ArrayList<>();
    private final FlagWriter noticeFloor = new FlagWriter();
    private final UnparkPing wakeFloor;
    private final Spinner standby;
    private final List<Row> rows;
    private volatile boolean offered;

    ParkProbe(int vcpus, boolean busy, boolean standbySpinning, boolean realtime) {
        String n = vcpus + (busy ? " busy" : "") + (vcpus == 1 ? " vCPU" : " vCPUs")
                + (standbySpinning ? ", standby spinning" : "");
        this.standby = standbySpinning ? new Spinner("bench-standby", () -> offered, realtime) : null;
        boolean plain = !busy && !standbySpinning;
        this.wakeFloor = plain ? new UnparkPing(realtime) : null;
        boolean counted = vcpus == 2 && plain;
        List<Row> r = new ArrayList<>(List.of(
                new Row(10, "kick → parked (" + n + ")", "C kick", false),
                new Row(20, "parked → noticed (" + n + ")", "volatile flag, set by a thread, seen by this one spinning",
                        counted)));
        if (plain) {
            r.add(new Row(90, "resume → first run (" + n + ")", "LockSupport.unpark → park returns", counted));
        }
        this.rows = List.copyOf(r);
        gate.open(vcpus, false);
        for (int i = 0; i < vcpus; i++) {
            threads.add(new KickableThread(gate, i, busy));
        }
    }

    @Override
    public List<Row> rows() {
        return rows;
    }

    @Override
    public QuotedFloor quoted(int i) {
        return i == 0 ? C_KICK : null;
    }

    @Override
    public void round(long[] real, long[] floor) throws TimeoutException {
        Waits.until(() -> threads.stream().allMatch(KickableThread::inRun), "the vCPU threads to enter their run");
        if (standby != null) {
            offered = false;
            standby.arm();
        }
        gate.requestPause();
        long kicked = System.nanoTime();
        for (KickableThread t : threads) {
            ThreadSignals.kick(t.tid());
        }
        gate.awaitParked();
        long noticed = System.nanoTime();
        long parked = gate.lastParkNanos();
        real[0] = parked - kicked;
        real[1] = noticed - parked;
        if (standby != null) {
            offered = true;
            standby.awaitSeen();
        }
        floor[1] = noticeFloor.measure();
        // A real resume comes milliseconds later, when every vCPU thread is fast asleep in the gate.
        Waits.until(() -> threads.stream().allMatch(KickableThread::parked), "the vCPU threads to sleep parked");
        long resumed = System.nanoTime();
        gate.resume();
        long firstRun = gate.awaitFirstRunNanos(10_000);
        if (firstRun == 0) {
            throw new TimeoutException("no vCPU thread ran within 10 s of the resume");
        }
        if (rows.size() > 2) {
            real[2] = firstRun - resumed;
            floor[2] = wakeFloor.measure();
        }
    }

    @Override
    public void close() throws Exception {
        gate.stop();
        for (KickableThread t : threads) {
            t.close();
        }
        noticeFloor.close();
        if (wakeFloor != null) {
            wakeFloor.close();
        }
        if (standby != null) {
            standby.close();
        }
    }
}
