package dev.hyperfresh.vmm.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.vmm.memory.GuestMemory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The console's two ports over real guest RAM (a memfd, as a VM has), and its unfinished line moving on. */
class DebugConsoleTest {
    private static final long RECORD = 0x2000;
    private final GuestMemory ram = GuestMemory.create("console-test", 16 << 20, false);
    private final List<String> before = new ArrayList<>();
    private final List<String> after = new ArrayList<>();
    private final List<String> reports = new ArrayList<>();
    private final DebugConsole old = new DebugConsole(before::add, ram, reports::add);
    private final DebugConsole next = new DebugConsole(after::add, ram, reports::add);

    @AfterEach
    void release() {
        ram.close();
    }

    @Test
    void theLinePortSaysHflnToA32BitReadOnly() {
        assertThat(old.read(DebugConsole.LINE_PORT, 4)).isEqualTo(0x4e4c4648);
        assertThat(old.read(DebugConsole.LINE_PORT, 1)).as("as an unassigned port").isEqualTo(0xff);
        assertThat(old.read(DebugConsole.LINE_PORT, 2)).isEqualTo(0xffff);
    }

    @Test
    void aRecordHandsOverWholeLinesInOneWrite() {
        old.write(DebugConsole.LINE_PORT, 4, record(RECORD, "HB cpu=0 seq=1\nHB cpu=1 seq=1\n"));
        assertThat(before).containsExactly("HB cpu=0 seq=1", "HB cpu=1 seq=1");
        assertThat(old.badRecords()).isZero();
    }

    @Test
    void recordsAndBytesShareOneUnfinishedLine() {
        old.write(DebugConsole.LINE_PORT, 4, record(RECORD, "INFO a="));
        old.writeString(DebugConsole.PORT, bytes("1 b="));
        old.write(DebugConsole.LINE_PORT, 4, record(RECORD + 0x100, "2\nHB cpu=0 "));
        assertThat(before).containsExactly("INFO a=1 b=2");
        next.restoreState(old.saveState());
        next.write(DebugConsole.PORT, 1, 's');
        next.write(DebugConsole.LINE_PORT, 4, record(RECORD, "eq=7\n"));
        assertThat(after).containsExactly("HB cpu=0 seq=7");
    }

    @Test
    void aRecordOfTheLargestLengthIsTakenAndOneLongerDropped() {
        String text = "x".repeat(DebugConsole.MAX_RECORD - 1) + "\n";
        old.write(DebugConsole.LINE_PORT, 4, record(RECORD, text));
        assertThat(before).hasSize(1);
        old.write(DebugConsole.LINE_PORT, 4, record(RECORD, text + "y"));
        assertThat(before).hasSize(1);
        assertThat(old.badRecords()).isEqualTo(1);
        assertThat(reports).singleElement().asString().contains("length 4097");
    }

    @Test
    void badRecordsAreDroppedReportedOnceAndTheConsoleGoesOn() {
        ram.write(RECORD, new byte[4]);
        old.write(DebugConsole.LINE_PORT, 4, (int) RECORD);                          // length 0
        old.write(DebugConsole.LINE_PORT, 4, (int) RECORD + 2);                      // unaligned
        old.write(DebugConsole.LINE_PORT, 4, (int) ram.size());                      // beyond RAM
        old.write(DebugConsole.LINE_PORT, 4, (int) ram.size() - 4);                  // text beyond RAM
        ram.writeInt(ram.size() - 4, 8);
        old.write(DebugConsole.LINE_PORT, 4, 0xfffffffc);                            // high in the 4 GiB
        old.write(DebugConsole.LINE_PORT, 2, (int) RECORD);                          // not 32-bit
        old.writeString(DebugConsole.LINE_PORT, bytes("abc\n"));                    // a string write
        assertThat(old.badRecords()).isEqualTo(7);
        assertThat(reports).as("reported once").singleElement().asString().contains("length 0");
        assertThat(before).isEmpty();

        old.write(DebugConsole.LINE_PORT, 4, record(RECORD, "still here\n"));
        assertThat(before).containsExactly("still here");
    }

    @Test
    void aLineCutByThePauseEndsWholeInTheNewInstance() {
        old.writeString(DebugConsole.PORT, bytes("HB cpu=0 seq=41\nHB cpu=0 se"));
        next.restoreState(old.saveState());
        next.writeString(DebugConsole.PORT, bytes("q=42\n"));
        assertThat(before).containsExactly("HB cpu=0 seq=41");
        assertThat(after).containsExactly("HB cpu=0 seq=42");
    }

    @Test
    void foreignOrTruncatedStateIsRefusedAndChangesNothing() {
        next.writeString(DebugConsole.PORT, bytes("kept "));
        byte[] state = old.saveState();
        assertThatThrownBy(() -> next.restoreState(new byte[] {1, 2, 3, 4, 0, 1}))
                .hasMessageContaining("not a DebugConsole state");
        assertThatThrownBy(() -> next.restoreState(java.util.Arrays.copyOf(state, state.length - 1)))
                .hasMessageContaining("truncated");
        next.writeString(DebugConsole.PORT, bytes("line\n"));
        assertThat(after).containsExactly("kept line");
    }

    /** Writes a record (u32 length, text) at {@code gpa}; returns the value the guest's {@code outl} carries. */
    private int record(long gpa, String text) {
        byte[] b = bytes(text);
        ram.writeInt(gpa, b.length);
        ram.write(gpa + 4, b);
        return (int) gpa;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
