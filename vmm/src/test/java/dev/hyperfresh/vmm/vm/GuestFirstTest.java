package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.sys.CpuAffinity;
import dev.hyperfresh.sys.CpuSplit;
import dev.hyperfresh.sys.Nice;
import dev.hyperfresh.sys.Sys;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GuestFirstTest {
    /**
     * Root (CI) may favour; anyone else sees nothing change. Either way it ends as it began, the CPUs kept for the
     * thread (where there were more than one) given back with the window's end.
     */
    @Test
    void aThreadIsFavouredForTheWindowThenPutBack() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        CompletableFuture<Integer> tid = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            tid.complete(Sys.C.gettid());
            try {
                done.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            int id = tid.get();
            OptionalInt before = Nice.ofThread(id);
            OptionalInt groupBefore = Nice.ofAutogroup();
            boolean mayFavour = Sys.C.geteuid() == 0;   // for a second, or 200 ms where it would hold every CPU
            Optional<CpuSplit> split = CpuSplit.keepApart(List.of(id));
            GuestFirst.forAWhile(List.of(id), split, executor);
            assertThat(Nice.ofThread(id)).isEqualTo(mayFavour ? OptionalInt.of(GuestFirst.NICE) : before);
            executor.schedule(() -> { }, GuestFirst.WINDOW_MS, TimeUnit.MILLISECONDS).get();
            assertThat(Nice.ofThread(id)).isEqualTo(before);
            assertThat(Nice.ofAutogroup()).isEqualTo(groupBefore);
            assertThat(CpuAffinity.ofThread(id)).as("the split ended with the window")
                    .isEqualTo(CpuAffinity.ofThread(0));
        } finally {
            done.countDown();
            executor.shutdownNow();
        }
    }
}
