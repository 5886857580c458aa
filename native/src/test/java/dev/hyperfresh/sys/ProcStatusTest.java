package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class ProcStatusTest {
    @Test
    void readsNumbersWithOrWithoutAUnit() throws Exception {
        assertThat(ProcStatus.number("self", "Tgid")).hasValue(ProcessHandle.current().pid());
        assertThat(ProcStatus.number("self", "VmRSS").orElseThrow()).isPositive();
        assertThat(ProcStatus.number("self", "NoSuchField")).isEmpty();
    }

    @Test
    void namesAProcessByItsProgramAndAGoneOneByNothing() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            assertThat(ProcStatus.name(sleeper.pid())).hasValue("sleep");
        } finally {
            sleeper.destroy();
            sleeper.waitFor();
        }
        assertThat(ProcStatus.name(999_999_999)).isEmpty();
    }

    @Test
    void aProcessThatIsGoneIsAnError() {
        assertThatThrownBy(() -> ProcStatus.number("999999999", "Tgid")).isInstanceOf(NoSuchFileException.class);
    }
}
