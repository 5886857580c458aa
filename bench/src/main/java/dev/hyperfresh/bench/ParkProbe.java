package dev.hyperfresh.bench;

import dev.hyperfresh.sys.RealtimePriority;
import dev.hyperfresh.sys.ThreadSignals;
import dev.hyperfresh.vmm.vm.VcpuGate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * The pause and the resume through the real {@link VcpuGate}, with {@code vcpus} {@link KickableThread}s (idle,
 * or {@code busy}: computing, as the guests do): the cutover thread asks for the pause, raises and kicks
 * each thread as {@code VirtualMachine.requestPause} does ({@code Vcpu.kick}'s signal), waits in
 * {@code awaitParked}; later tells them to stand by, as a standby restoring does, and {@code resume}s. At normal scheduling nothing is raised (a
 * process without CAP_SYS_NICE); the gate lowers each thread again before its "guest code".
 */
final class ParkProbe implements CutoverProbe {
    /** The C probe's kick on a PVM host (shared/notes/this-platform.md): a vCPU thread blocked in KVM_RUN. */
    static final QuotedFloor C_KICK = new QuotedFloor(15_000, 43_000, "C probe kick.c on a PVM host, 2026-11-25");
    private static final String WAKE = "LockSupport.unpark → park returns";
    private static final long RESTORE_NANOS = 250_000;

    private final VcpuGate gate = new VcpuGate();
    private final List<KickableThread> threads = new ArrayList<>();
    private final UnparkPing floor;
    private final boolean realtime;
    private final List<Row> rows;

    ParkProbe(int vcpus, boolean busy, boolean realtime) {
        this.realtime = realtime;
        this.floor = new UnparkPing(realtime);
        String n = vcpus + (busy ? " busy" : "") + (vcpus == 1 ? " vCPU" : " vCPUs");
        boolean counted = vcpus == 2 && !busy;
        List<Row> r = new ArrayList<>(List.of(
                new Row(10, "kick → parked (" + n + ")", "C kick", false),
                new Row(20, "parked → noticed (" + n + ")", WAKE, counted)));
        if (!busy) {
            r.add(new Row(90, "resume → first run (" + n + ", standing by)", WAKE, counted));
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
    public void round(long[] real, long[] floorOut) throws TimeoutException {
        Waits.until(() -> threads.stream().allMatch(KickableThread::inRun), "the vCPU threads to enter their run");
        gate.requestPause();
        long kicked = System.nanoTime();
        for (KickableThread t : threads) {
            raise(t);
            ThreadSignals.kick(t.tid());
        }
        gate.awaitParked();
        long noticed = System.nanoTime();
        long parked = gate.lastParkNanos();
        real[0] = parked - kicked;
        real[1] = noticed - parked;
        floorOut[1] = floor.measure();
        // A standby's vCPU threads sleep in the gate for seconds, until it starts restoring and tells them to
        // stand by: they wake and spin while it restores (~0.25 ms for 2 vCPUs on a PVM host), and the resume
        // (as VirtualMachine.resume: raising them only if some still sleep) finds them running or about to.
        Waits.until(() -> threads.stream().allMatch(KickableThread::parked), "the vCPU threads to sleep parked");
        gate.standBy();
        long restored = System.nanoTime() + RESTORE_NANOS;
        while (System.nanoTime() < restored) {
            Thread.onSpinWait();
        }
        long resumed = System.nanoTime();
        if (!gate.allSpinning()) {
            threads.forEach(this::raise);
        }
        gate.resume();
        long firstRun = gate.awaitFirstRunNanos(10_000);
        if (firstRun == 0) {
            throw new TimeoutException("no vCPU thread ran within 10 s of the resume");
        }
        if (rows.size() > 2) {
            real[2] = firstRun - resumed;
            floorOut[2] = floor.measure();
        }
    }

    private void raise(KickableThread t) {
        if (realtime) {
            RealtimePriority.raiseThread(t.tid());
        }
    }

    @Override
    public void close() throws Exception {
        gate.stop();
        for (KickableThread t : threads) {
            t.close();
        }
        floor.close();
    }
}
