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
            AtomicLong requested = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch bound = new CountDownLatch(1);
            Thread vcpuThread = new Thread(() -> {
                try {
                    g.vcpu.bindToCurrentThread();
                    bound.countDown();
                    long handled = 0;
                    while (handled < KICKS) {
                        ExitReason r = g.vcpu.run();
                        if (r != ExitReason.INTR) {
                            throw new AssertionError("unexpected exit " + r);
                        }
                        long exited = System.nanoTime();
                        g.vcpu.acknowledgeKick();
                        // an EINTR nobody asked for (another signal) is spurious: enter again
                        long request = requested.get();
                        if (request > handled) {
                            handled = request;
                            exitedAt.set(exited);
                        }
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
                requested.set(i + 1);
                long t0 = System.nanoTime();
                g.vcpu.kick();
                long deadline = t0 + TimeUnit.MINUTES.toNanos(1);
                while (exitedAt.get() == 0) {
                    assertThat(failure.get()).isNull();
                    assertThat(System.nanoTime()).as("kick %d answered within a minute", i).isLessThan(deadline);
                    Thread.onSpinWait();
                }
                micros[i] = Math.max(0, exitedAt.get() - t0) / 1000;
            }
            vcpuThread.join(60_000);
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
