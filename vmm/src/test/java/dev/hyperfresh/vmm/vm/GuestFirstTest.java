package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.sys.CpuAffinity;
import dev.hyperfresh.sys.CpuSplit;
import dev.hyperfresh.sys.Nice;
import dev.hyperfresh.sys.Sys;
import dev.hyperfresh.testkit.WaitingThread;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
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
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try (WaitingThread t = WaitingThread.start()) {
            int id = t.tid();
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
            executor.shutdownNow();
        }
    }
}
