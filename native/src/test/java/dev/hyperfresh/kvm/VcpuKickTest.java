package dev.hyperfresh.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.testkit.TinyGuest;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

@RequiresKvm
class VcpuKickTest {
    /** jmp $ : a guest that never exits on its own. */
    private static final byte[] SPIN = {(byte) 0xeb, (byte) 0xfe};
    private static final int KICKS = 50;

    @Test
    void aKickForcesASpinningVcpuOutOfKvmRun() throws Exception {
        try (TinyGuest g = new TinyGuest(SPIN, false)) {
            AtomicLong exitedAt = new AtomicLong();
            AtomicLong resumeRequests = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch bound = new CountDownLatch(1);
            Thread vcpuThread = new Thread(() -> {
                try {
                    g.vcpu.bindToCurrentThread();
                    bound.countDown();
                    long resumed = 0;
                    while (resumed < KICKS) {
                        ExitReason r = g.vcpu.run();
                        if (r != ExitReason.INTR) {
                            throw new AssertionError("unexpected exit " + r);
                        }
                        long exited = System.nanoTime();
                        // acknowledge before reporting: a kick sent after the report must not be drained here
                        g.vcpu.acknowledgeKick();
                        exitedAt.set(exited);
                        while (resumeRequests.get() == resumed) {
                            Thread.onSpinWait();
                        }
                        resumed++;
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "vcpu-0");
            vcpuThread.start();
            assertThat(bound.await(1, TimeUnit.MINUTES)).as("vCPU thread bound").isTrue();

            long[] micros = new long[KICKS];
            for (int i = 0; i < KICKS; i++) {
                Thread.sleep(2);
                exitedAt.set(0);
                long t0 = System.nanoTime();
                g.vcpu.kick();
                while (exitedAt.get() == 0 && failure.get() == null) {
                    Thread.onSpinWait();
                }
                micros[i] = (exitedAt.get() - t0) / 1000;
                resumeRequests.incrementAndGet();
            }
            vcpuThread.join(10_000);
            assertThat(failure.get()).isNull();
            assertThat(vcpuThread.isAlive()).isFalse();
            Arrays.sort(micros);
            System.out.printf("vCPU kick latency (kick -> KVM_RUN returned EINTR), %d kicks: "
                    + "min %d us, median %d us, p99 %d us, max %d us%n", KICKS, micros[0], micros[KICKS / 2],
                    micros[KICKS * 99 / 100], micros[KICKS - 1]);
        }
    }

    @Test
    void kickingAnUnboundVcpuIsAClearError() {
        try (TinyGuest g = new TinyGuest(SPIN, false)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(g.vcpu::kick)
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not bound");
        }
    }
}
