package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class TimeSliceTest {
    /** On a thread of its own, with a nice value of its own that the slice must leave as it was. */
    @Test
    void aThreadsSliceIsShortenedAndGivenBackKeepingItsNiceValue() throws Exception {
        CompletableFuture<long[]> seen = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            int tid = Sys.C.gettid();
            Nice.setThread(tid, 7);
            long before = TimeSlice.of(tid).orElseThrow();
            boolean set = TimeSlice.set(tid, TimeSlice.SHORTEST_NANOS);
            long shortened = TimeSlice.of(tid).orElseThrow();
            boolean reset = TimeSlice.set(tid, TimeSlice.DEFAULT);
            seen.complete(new long[] {before, set ? 1 : 0, shortened, reset ? 1 : 0, TimeSlice.of(tid).orElseThrow(),
                Nice.ofThread(tid).orElseThrow()});
        });
        t.start();
        long[] s = seen.get();
        assertThat(s[1]).as("set").isEqualTo(1);
        assertThat(s[3]).as("reset").isEqualTo(1);
        assertThat(s[5]).as("nice kept").isEqualTo(7);
        assumeTrue(s[2] == TimeSlice.SHORTEST_NANOS, "this kernel has no custom slices (Linux 6.12+): set, ignored");
        assertThat(s[4]).as("the default again").isEqualTo(s[0]);
    }

    @Test
    void aThreadThatIsGoneHasNoSlice() {
        assertThat(TimeSlice.of(Integer.MAX_VALUE)).isEmpty();
        assertThat(TimeSlice.set(Integer.MAX_VALUE, TimeSlice.SHORTEST_NANOS)).isFalse();
    }
}
