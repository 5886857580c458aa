package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ThreadSignalsTest {
    @Test
    void aKickToABlockingThreadStaysPendingUntilDrained() throws Exception {
        CompletableFuture<Integer> tid = new CompletableFuture<>();
        CountDownLatch kicked = new CountDownLatch(1);
        CompletableFuture<boolean[]> drains = new CompletableFuture<>();
        Thread vcpu = new Thread(() -> {
            try {
                ThreadSignals.blockKickInCurrentThread();
                assertThat(ThreadSignals.drain()).as("nothing pending before the kick").isFalse();
                tid.complete(ThreadSignals.currentTid());
                // Asleep when the kick arrives: blocked, it neither interrupts the sleep nor runs a handler.
                Thread.sleep(200);
                assertThat(kicked.await(5, TimeUnit.SECONDS)).isTrue();
                drains.complete(new boolean[] {ThreadSignals.drain(), ThreadSignals.drain()});
            } catch (Throwable t) {
                tid.completeExceptionally(t);
                drains.completeExceptionally(t);
            }
        }, "kick-target");
        vcpu.start();

        ThreadSignals.kick(tid.get(5, TimeUnit.SECONDS));
        kicked.countDown();

        assertThat(drains.get(5, TimeUnit.SECONDS)).containsExactly(true, false);
        vcpu.join(5_000);
        assertThat(vcpu.isAlive()).isFalse();
    }

    @Test
    void aThreadSleepingUntilKickedWakesOnTheKickAndNothingStaysPending() throws Exception {
        CompletableFuture<Integer> tid = new CompletableFuture<>();
        CompletableFuture<Boolean> drainedAfterWake = new CompletableFuture<>();
        Thread vcpu = new Thread(() -> {
            try {
                ThreadSignals.blockKickInCurrentThread();
                tid.complete(ThreadSignals.currentTid());
                ThreadSignals.sleepUntilKicked();
                drainedAfterWake.complete(ThreadSignals.drain());
            } catch (Throwable t) {
                tid.completeExceptionally(t);
                drainedAfterWake.completeExceptionally(t);
            }
        }, "kick-sleeper");
        vcpu.start();
        int target = tid.get(5, TimeUnit.SECONDS);
        Thread.sleep(100);   // most likely asleep by now; a kick that comes first is waited for all the same

        ThreadSignals.kick(target);

        assertThat(drainedAfterWake.get(5, TimeUnit.SECONDS)).as("the wait consumed the kick").isFalse();
        vcpu.join(5_000);
        assertThat(vcpu.isAlive()).isFalse();
    }
}
