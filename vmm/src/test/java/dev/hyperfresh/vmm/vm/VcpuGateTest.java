package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The gate without KVM: threads that stand in for vCPU loops park in it and take work there. */
@Timeout(30)
class VcpuGateTest {
    private static final int VCPUS = 3;
    private final VcpuGate gate = new VcpuGate();
    private final List<Thread> threads = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        gate.stop();
        for (Thread t : threads) {
            t.join();
        }
    }

    @Test
    void eachParkedThreadRunsItsOwnIndexWhileTheCallerRunsItsPart() {
        startParked();
        AtomicReferenceArray<String> ranOn = new AtomicReferenceArray<>(VCPUS);
        String[] caller = new String[1];

        gate.onEachParked(i -> ranOn.set(i, Thread.currentThread().getName()),
                () -> caller[0] = Thread.currentThread().getName());

        for (int i = 0; i < VCPUS; i++) {
            assertThat(ranOn.get(i)).isEqualTo("vcpu-" + i);
        }
        assertThat(caller[0]).isEqualTo(Thread.currentThread().getName());
        gate.onEachParked(i -> ranOn.set(i, "again"), () -> { });
        assertThat(ranOn.get(VCPUS - 1)).as("a second round").isEqualTo("again");
    }

    @Test
    void aFailingVcpuTaskIsRethrownAndTheThreadsStayParked() {
        startParked();

        assertThatThrownBy(() -> gate.onEachParked(i -> {
            if (i == 1) {
                throw new IllegalStateException("KVM_SET_REGS on vCPU 1: EINVAL");
            }
        }, () -> { })).hasMessage("KVM_SET_REGS on vCPU 1: EINVAL");

        assertThat(gate.awaitParked()).isTrue();
        gate.resume();
        assertThat(gate.awaitFirstRunNanos(10_000)).isPositive();
    }

    @Test
    void workIsRefusedUnlessEveryThreadIsParked() {
        start(false);
        assertThatThrownBy(() -> gate.onEachParked(i -> { }, () -> { })).hasMessageContaining("not all parked");
    }

    private void startParked() {
        start(true);
        assertThat(gate.awaitParked()).isTrue();
    }

    private void start(boolean paused) {
        gate.open(VCPUS, paused);
        for (int i = 0; i < VCPUS; i++) {
            int index = i;
            Thread t = new Thread(() -> {
                while (gate.awaitRunnable(index)) {
                    Thread.onSpinWait();   // "guest code" until the next pause
                }
                gate.gone();
            }, "vcpu-" + i);
            threads.add(t);
            t.start();
        }
    }
}
