package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The release and a rollback decide once between them, whichever thread comes first (the release is counted). */
class CommitPointTest {
    private final AtomicInteger releases = new AtomicInteger();
    private final CommitPoint point = new CommitPoint(releases::incrementAndGet);

    @Test
    void theReleaseHappensOnceHoweverManyAsk() {
        assertThat(point.commit()).isTrue();
        assertThat(point.commit()).isTrue();
        assertThat(releases).hasValue(1);
    }

    @Test
    void onceReleasedARollbackCannotResumeTheOldQemu() {
        point.commit();
        assertThat(point.withdraw()).isFalse();
        assertThat(point.withdraw()).isFalse();
    }

    @Test
    void aWithdrawnReleaseNeverHappens() {
        assertThat(point.withdraw()).isTrue();
        assertThat(point.commit()).isFalse();
        assertThat(point.withdraw()).isTrue();
        assertThat(releases).hasValue(0);
    }

    @Test
    void racingReadersAndARollbackAgreeOnOneOutcome() throws Exception {
        for (int round = 0; round < 2000; round++) {
            AtomicInteger released = new AtomicInteger();
            CommitPoint race = new CommitPoint(released::incrementAndGet);
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Boolean> source = CompletableFuture.supplyAsync(() -> awaitThen(go, race::commit));
            CompletableFuture<Boolean> other = CompletableFuture.supplyAsync(() -> awaitThen(go, race::commit));
            go.countDown();
            boolean withdrawn = race.withdraw();
            assertThat(source.get()).as("round " + round).isEqualTo(!withdrawn);
            assertThat(other.get()).as("round " + round).isEqualTo(!withdrawn);
            assertThat(released.get()).as("round " + round).isEqualTo(withdrawn ? 0 : 1);
        }
    }

    private static boolean awaitThen(CountDownLatch go, BooleanSupplier step) {
        try {
            go.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return step.getAsBoolean();
    }
}
