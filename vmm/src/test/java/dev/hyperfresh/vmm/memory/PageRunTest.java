package dev.hyperfresh.vmm.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PageRunTest {
    private static final int P = PageRun.PAGE;

    private static PageRun run(long firstPage, long pages) {
        return new PageRun(firstPage * P, pages * P);
    }

    @Test
    void adjacentDirtyPagesCoalesceIntoRunsAtTheSlotsFileOffset() {
        long[] bitmap = new long[3];
        bitmap[0] = 0b1011L | (1L << 63);   // pages 0, 1, 3 and 63 ...
        bitmap[1] = 0b1L;                    // ... 64 joins 63
        bitmap[2] = 1L << 4;                 // page 132
        long base = 3L << 30;

        assertThat(PageRun.fromDirtyBitmap(bitmap, 140, base)).containsExactly(
                new PageRun(base, 2L * P), new PageRun(base + 3L * P, P), new PageRun(base + 63L * P, 2L * P),
                new PageRun(base + 132L * P, P));
    }

    @Test
    void aCleanBitmapGivesNothingAndAFullOneASingleRun() {
        assertThat(PageRun.fromDirtyBitmap(new long[4], 256, 0)).isEmpty();
        assertThat(PageRun.fromDirtyBitmap(new long[] {-1L, -1L}, 100, 0)).containsExactly(run(0, 100));
    }

    @Test
    void aRunEndingOnTheLastPageIsKept() {
        assertThat(PageRun.fromDirtyBitmap(new long[] {0, 0b110L}, 67, 0)).containsExactly(run(65, 2));
    }

    @Test
    void batchesHoldAtMostTheirSizeAndSplitLongRuns() {
        List<List<PageRun>> batches = PageRun.batches(List.of(run(0, 3), run(10, 6), run(20, 1)), 4L * P);

        assertThat(batches).containsExactly(List.of(run(0, 3), run(10, 1)), List.of(run(11, 4)),
                List.of(run(15, 1), run(20, 1)));
        assertThat(batches).allSatisfy(b -> assertThat(PageRun.bytes(b)).isLessThanOrEqualTo(4L * P));
        assertThat(PageRun.batches(List.of(), 4L * P)).isEmpty();
    }

    @Test
    void runsAndBatchesMustBeWholePages() {
        assertThatThrownBy(() -> new PageRun(100, P)).hasMessageContaining("page-aligned offset");
        assertThatThrownBy(() -> new PageRun(0, 0)).hasMessageContaining("positive whole number of pages");
        assertThatThrownBy(() -> PageRun.batches(List.of(), 1000)).hasMessageContaining("whole pages");
    }
}
