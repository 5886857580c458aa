package dev.hyperfresh.vmm.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.vmm.heartbeat.GuestLine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DebugConsoleTest {
    private final List<String> before = new ArrayList<>();
    private final List<String> after = new ArrayList<>();
    private final DebugConsole old = new DebugConsole(l -> before.add(l.text()));
    private final DebugConsole next = new DebugConsole(l -> after.add(l.text()));

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

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
