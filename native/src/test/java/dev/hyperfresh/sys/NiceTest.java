package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class NiceTest {
    /** On a thread of its own: a raised nice value may not be lowered again without CAP_SYS_NICE. */
    @Test
    void aThreadsNiceValueIsSetAndReadBackByItsId() throws Exception {
        CompletableFuture<int[]> seen = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            int tid = Sys.C.gettid();
            int before = Nice.ofThread(tid).orElseThrow();
            boolean set = Nice.setThread(tid, Math.min(19, before + 3));
            seen.complete(new int[] {before, set ? 1 : 0, Nice.ofThread(tid).orElseThrow()});
        });
        t.start();
        int[] s = seen.get();
        assertThat(s[1]).isEqualTo(1);
        assertThat(s[2]).isEqualTo(Math.min(19, s[0] + 3));
    }

    @Test
    void aThreadThatIsGoneHasNoNiceValue() {
        assertThat(Nice.ofThread(Integer.MAX_VALUE)).isEmpty();
        assertThat(Nice.setThread(Integer.MAX_VALUE, 0)).isFalse();
    }

    @Test
    void theAutogroupsValueReadsBackWhereTheKernelHasAutogroups() {
        OptionalInt now = Nice.ofAutogroup();
        if (now.isPresent()) {
            assertThat(Nice.setAutogroup(now.getAsInt())).isTrue();   // the same value: allowed to anyone
            assertThat(Nice.ofAutogroup()).isEqualTo(now);
        }
    }

    @Test
    void aTestRunnerDoesNotLeadItsSessionSoItsAutogroupIsNotItsOwn() {
        // forked by Maven, which runs in the caller's session: changing the autogroup here would change the caller's
        assertThat(Nice.ownsItsAutogroup()).isFalse();
    }
}
