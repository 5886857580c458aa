package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class CpuAffinityTest {
    /** On a thread of its own, so the test JVM's other threads keep their CPUs. */
    @Test
    void aThreadIsKeptToOneCpuAndLetBack() throws Exception {
        CompletableFuture<BitSet[]> seen = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            int tid = Sys.C.gettid();
            BitSet all = CpuAffinity.ofThread(tid).orElseThrow();
            BitSet one = new BitSet();
            one.set(all.previousSetBit(all.length()));
            boolean kept = CpuAffinity.setThread(tid, one);
            BitSet whileKept = CpuAffinity.ofThread(0).orElseThrow();
            int ranOn = ProcStat.ofThread(tid).orElseThrow().processor();
            CpuAffinity.setThread(tid, all);
            seen.complete(new BitSet[] {all, one, kept ? whileKept : null, BitSet.valueOf(new long[] {1L << ranOn}),
                    CpuAffinity.ofThread(tid).orElseThrow()});
        });
        t.start();
        BitSet[] s = seen.get();
        assertThat(s[2]).isEqualTo(s[1]);
        assertThat(s[3]).isEqualTo(s[1]);
        assertThat(s[4]).isEqualTo(s[0]);
    }

    @Test
    void aThreadThatIsGoneHasNone() {
        assertThat(CpuAffinity.ofThread(Integer.MAX_VALUE)).isEmpty();
        assertThat(CpuAffinity.setThread(Integer.MAX_VALUE, CpuAffinity.ofThread(0).orElseThrow())).isFalse();
    }
}
