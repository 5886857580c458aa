package dev.hyperfresh.vmm.devices;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {
    private final List<String> lines = new ArrayList<>();
    private final LineSplitter splitter = new LineSplitter(lines::add);

    @Test
    void joinsPiecesAndDropsCarriageReturnsAndBlankLines() {
        splitter.accept(bytes("Linux ver"));
        splitter.accept(bytes("sion 6.1\r\n\r\n"));
        splitter.accept(bytes("LINUXHB seq=0\r\npartial"));
        assertThat(lines).containsExactly("Linux version 6.1", "LINUXHB seq=0");
    }

    @Test
    void cutsALineThatNeverEnds() {
        splitter.accept(new byte[LineSplitter.MAX_LINE + 10]);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).hasSize(LineSplitter.MAX_LINE);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
