package dev.hyperfresh.vmm.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PendingLineTest {
    private static final int MAGIC = 0x54455354;
    private final List<String> before = new ArrayList<>();
    private final List<String> after = new ArrayList<>();
    private final LineSplitter old = new LineSplitter(before::add);
    private final LineSplitter next = new LineSplitter(after::add);

    @Test
    void aConsoleLineCutByThePauseEndsWholeInTheNewInstance() {
        old.accept(bytes("LINUXHB seq=7 uptime=37.02\r\nLINUXHB se"));
        new PendingLine(next, "COM1 console line", MAGIC).restoreState(new PendingLine(old, "x", MAGIC).saveState());
        next.accept(bytes("q=8 uptime=38.05\r\n"));
        assertThat(before).containsExactly("LINUXHB seq=7 uptime=37.02");
        assertThat(after).containsExactly("LINUXHB seq=8 uptime=38.05");
    }

    @Test
    void anotherDevicesStateIsRefused() {
        byte[] foreign = new PendingLine(old, "x", MAGIC + 1).saveState();
        assertThatThrownBy(() -> new PendingLine(next, "COM1 console line", MAGIC).restoreState(foreign))
                .hasMessageContaining("not a COM1 console line state");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
