package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class VcpuGateTest {
    private static final int THREADS = 2;

    /** Threads that pass the gate until it stops, counting their passes. */
    private static List<Thread> start(VcpuGate gate, AtomicInteger passes) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            Thread t = new Thread(() -> {
                while (gate.awaitRunnable()) {
                    passes.incrementAndGet();
                    Thread.onSpinWait();
                }
                gate.gone();
            });
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        return threads;
    }

    @Test
    void threadsStandingBySpinUntilTheResumeAndThenRun() throws Exception {
        // long enough that both are seen spinning at once however late each wakes (a real stand-by is ~0.3 ms)
        VcpuGate gate = new VcpuGate(60_000_000_000L);
        gate.open(THREADS, true);
        AtomicInteger passes = new AtomicInteger();
        List<Thread> threads = start(gate, passes);
        assertThat(gate.awaitParked()).isTrue();
        assertThat(gate.allSpinning()).isFalse();

        gate.standBy();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!gate.allSpinning() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(gate.allSpinning()).as("both threads woke to spin").isTrue();
        assertThat(passes.get()).as("nobody ran while paused").isZero();

        gate.resume();
        assertThat(gate.awaitFirstRunNanos(10_000)).isPositive();
        while (passes.get() == 0) {
            Thread.onSpinWait();
        }
        gate.requestPause();
        assertThat(gate.awaitParked()).isTrue();
        assertThat(gate.allSpinning()).as("a new pause sleeps until told to stand by").isFalse();
        gate.stop();
        for (Thread t : threads) {
            t.join(10_000);
            assertThat(t.isAlive()).isFalse();
        }
    }

    @Test
    void aStoppedGateEndsThreadsStandingBy() throws Exception {
        VcpuGate gate = new VcpuGate();
        gate.open(THREADS, true);
        List<Thread> threads = start(gate, new AtomicInteger());
        assertThat(gate.awaitParked()).isTrue();
        gate.standBy();
        gate.stop();
        for (Thread t : threads) {
            t.join(10_000);
            assertThat(t.isAlive()).isFalse();
        }
    }

    @Test
    void aTimedWaitForParkingSaysWhetherEveryThreadParked() throws Exception {
        VcpuGate gate = new VcpuGate();
        gate.open(THREADS, false);
        AtomicInteger passes = new AtomicInteger();
        List<Thread> threads = new ArrayList<>(start(gate, passes));
        // one thread that never comes back to the gate, as a vCPU held in a device
        gate.open(THREADS + 1, false);
        gate.requestPause();
        assertThat(gate.awaitParked(200_000_000L)).as("one thread is still out").isFalse();
        assertThat(gate.unparked()).isEqualTo(1);
        gate.gone();   // it ends
        assertThat(gate.awaitParked(10_000_000_000L)).isTrue();
        gate.resume();
        assertThat(gate.awaitParked(1)).as("no pause requested: nothing to wait for").isTrue();
        gate.stop();
        for (Thread t : threads) {
            t.join(10_000);
            assertThat(t.isAlive()).isFalse();
        }
    }
}
