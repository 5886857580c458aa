package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.testkit.WaitingThread;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Anyone may set their own threads' CPUs; with one CPU (or threads already pinned) nothing is split. */
class CpuSplitTest {
    private final List<WaitingThread> started = new ArrayList<>();
    private BitSet all;
    private boolean maySplit;

    @BeforeEach
    void theProcessesCpus() {
        all = CpuAffinity.ofThread(0).orElseThrow();
        maySplit = all.cardinality() > 1;
    }

    @AfterEach
    void everyThreadGetsItsCpusBack() {
        started.forEach(t -> CpuAffinity.setThread(t.tid(), all));
        started.forEach(WaitingThread::close);
        CpuAffinity.setThread(0, all);
    }

    @Test
    void aVcpuThreadGetsACpuOfItsOwnAndEveryOtherThreadTheRestUntilClosed() throws Exception {
        int vcpu = waitingThread();
        Optional<CpuSplit> split = CpuSplit.keepApart(List.of(vcpu));
        assertThat(split.isPresent()).isEqualTo(maySplit);
        if (!maySplit) {
            return;
        }
        BitSet own = CpuAffinity.ofThread(vcpu).orElseThrow();
        assertThat(own).isEqualTo(split.get().guestCpus());
        assertThat(own.cardinality()).isEqualTo(1);
        BitSet rest = (BitSet) all.clone();
        rest.andNot(own);
        assertThat(CpuAffinity.ofThread(0)).contains(rest);
        assertThat(CpuAffinity.ofThread(waitingThread())).as("a thread started meanwhile").contains(rest);

        split.get().close();
        assertThat(CpuAffinity.ofThread(vcpu)).contains(all);
        assertThat(CpuAffinity.ofThread(0)).contains(all);
    }

    @Test
    void aThreadWithCpusOfItsOwnKeepsThemAndAPinnedVcpuThreadIsNotSplitAtAll() throws Exception {
        BitSet one = new BitSet();
        one.set(all.nextSetBit(0));
        int pinned = waitingThread();
        CpuAffinity.setThread(pinned, one);
        int vcpu = waitingThread();
        Optional<CpuSplit> split = CpuSplit.keepApart(List.of(vcpu));
        assertThat(split.isPresent()).isEqualTo(maySplit);
        assertThat(CpuAffinity.ofThread(pinned)).contains(one);
        split.ifPresent(CpuSplit::close);
        assertThat(CpuAffinity.ofThread(pinned)).contains(one);

        CpuAffinity.setThread(vcpu, one);
        assertThat(CpuSplit.keepApart(List.of(vcpu))).isEmpty();
        assertThat(CpuAffinity.ofThread(0)).contains(all);
    }

    @Test
    void aProcessStaysOffCpusWhereAnyAreLeftUntilItComesBack() throws Exception {
        int other = waitingThread();
        BitSet guest = new BitSet();
        guest.set(all.previousSetBit(all.length()));
        BitSet rest = (BitSet) all.clone();
        rest.andNot(guest);
        BitSet expected = maySplit ? rest : all;
        try (CpuSplit away = CpuSplit.stayOff(guest)) {
            assertThat(CpuAffinity.ofThread(0)).contains(expected);
            assertThat(CpuAffinity.ofThread(other)).contains(expected);
            assertThat(CpuAffinity.ofThread(waitingThread())).as("a thread started meanwhile").contains(expected);
        }
        assertThat(CpuAffinity.ofThread(0)).contains(all);
        assertThat(CpuAffinity.ofThread(other)).contains(all);
    }

    /** A thread of this process that waits until the test ends; returns its id. */
    private int waitingThread() throws Exception {
        WaitingThread t = WaitingThread.start();
        started.add(t);
        return t.tid();
    }
}
