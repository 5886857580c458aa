package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.Test;

class FutexTest {
    private final Pointer word = Sys.allocate(4);

    @Test
    void aWordThatHoldsSomethingElseDoesNotSleep() {
        word.putInt(0, 1);
        long start = System.nanoTime();
        Futex.await(word, 0, TimeUnit.SECONDS.toNanos(10));
        assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void aSleeperWithNobodyToWakeItReturnsAtItsTimeOut() {
        word.putInt(0, 0);
        long start = System.nanoTime();
        Futex.await(word, 0, TimeUnit.MILLISECONDS.toNanos(50));
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
    }

    @Test
    void aWakeEndsTheSleep() throws Exception {
        word.putInt(0, 0);
        CompletableFuture<Long> slept = CompletableFuture.supplyAsync(() -> {
            long start = System.nanoTime();
            Futex.await(word, 0, TimeUnit.SECONDS.toNanos(30));
            return System.nanoTime() - start;
        });
        int woken = 0;
        while (woken == 0 && !slept.isDone()) {   // until the sleeper is in the kernel: the word stays 0 throughout
            Thread.sleep(10);
            woken = Futex.wake(word, 1);
        }
        assertThat(woken).isEqualTo(1);
        assertThat(slept.get(10, TimeUnit.SECONDS)).isLessThan(TimeUnit.SECONDS.toNanos(30));
    }
}
