package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcStatTest {
    @Test
    void fieldsAreCountedFromTheLastParenthesisSoACommandNameCannotShiftThem() {
        String stat = "4242 (a) b (c)) S 1 4200 4200 0 -1 4194560 100 0 0 0 5 6 0 0 20 -3 12 0 900 1000 200"
                + " 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        ProcStat s = ProcStat.parse(stat);
        assertThat(s.state()).isEqualTo('S');
        assertThat(s.processGroup()).isEqualTo(4200);
        assertThat(s.nice()).isEqualTo(-3);
        assertThat(s.processor()).isEqualTo(1);
    }

    @Test
    void theCallingThreadIsRunningOnACpuItMayUse() {
        ProcStat s = ProcStat.ofThread(Sys.C.gettid()).orElseThrow();
        assertThat(s.state()).isEqualTo('R');
        assertThat(CpuAffinity.ofThread(0).orElseThrow().get(s.processor())).isTrue();
        assertThat(ProcStat.threadsOfThisProcess()).contains(Sys.C.gettid());
    }

    @Test
    void aProcessOrThreadThatIsGoneHasNone() {
        assertThat(ProcStat.ofThread(Integer.MAX_VALUE)).isEmpty();
        assertThat(ProcStat.ofProcess(Integer.MAX_VALUE)).isEmpty();
    }

    @Test
    void aStateReaderFollowsOneProcessThroughSleepStopAndExit() throws Exception {
        Process child = new ProcessBuilder("sleep", "30").start();
        try (ProcStat.StateReader reader = ProcStat.StateReader.of(child.pid()).orElseThrow()) {
            awaitState(reader, 'S');
            new ProcessBuilder("kill", "-STOP", Long.toString(child.pid())).start().waitFor();
            awaitState(reader, 'T');
            new ProcessBuilder("kill", "-CONT", Long.toString(child.pid())).start().waitFor();
            awaitState(reader, 'S');
            child.destroyForcibly().waitFor();
            assertThat(reader.state()).isEqualTo((char) 0);
        } finally {
            child.destroyForcibly();
        }
        assertThat(ProcStat.StateReader.of(Integer.MAX_VALUE)).isEmpty();
    }

    private static void awaitState(ProcStat.StateReader reader, char state) throws InterruptedException {
        for (int i = 0; i < 200 && reader.state() != state; i++) {
            Thread.sleep(10);
        }
        assertThat(reader.state()).isEqualTo(state);
    }
}
