package dev.hyperfresh.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DebugLogTailTest {
    private static String beat(int cpu, long seq, long merr, long cerr) {
        return "HB cpu=" + cpu + " seq=" + seq + " tsc=" + (1000 + seq) + " ticks=" + seq + " pps=1 merr=" + merr
                + " cerr=" + cerr + " gap=1 gapmax=1 back=0 gen=1\n";
    }

    @Test
    void countsWhatTheHeartbeatsCountNotOnlyThePrintedLines(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("guest.log");
        Files.writeString(log, beat(0, 1, 0, 0) + beat(1, 1, 0, 0));
        try (DebugLogTail tail = new DebugLogTail(log, new GuestMeter("vm0"))) {
            // 8 canary errors printed, then 16 more counted that hfguest no longer prints, and one panic
            Files.writeString(log, "ERR cpu=0 kind=canary what=ymm8 want=0x1 got=0x0\n".repeat(8)
                    + beat(0, 2, 0, 8) + beat(0, 3, 0, 24) + beat(1, 2, 1, 0) + "PANIC cpu=1 why=test\n",
                    StandardOpenOption.APPEND);
            assertThat(awaitErrors(tail, 26)).isEqualTo(26);
        }
    }

    private static long awaitErrors(DebugLogTail tail, long want) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (tail.errors() < want && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return tail.errors();
    }
}
