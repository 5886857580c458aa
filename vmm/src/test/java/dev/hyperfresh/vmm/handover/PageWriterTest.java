package dev.hyperfresh.vmm.handover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.vmm.control.Frame;
import dev.hyperfresh.vmm.control.Json;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.memory.PageRun;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The standby's page writes into real memfd-backed RAM (no KVM needed), judged by the RAM checksum. */
class PageWriterTest {
    private static final int P = PageRun.PAGE;
    private final GuestMemory source = GuestMemory.create("src", 64 * P, false);
    private final GuestMemory target = GuestMemory.create("dst", 64 * P, false);

    @AfterEach
    void close() {
        source.close();
        target.close();
    }

    private static Frame pages(int vm, List<PageRun> runs, byte[] data) {
        ObjectNode h = Json.object().put("op", "pages").put("vm", vm);
        var list = h.putArray("runs");
        runs.forEach(r -> list.add(r.offset()).add(r.length()));
        return new Frame(h, List.of(data), List.of());
    }

    private Frame copyOf(List<PageRun> runs) {
        byte[] data = new byte[(int) PageRun.bytes(runs)];
        int at = 0;
        for (PageRun r : runs) {
            source.copyOut(r.offset(), data, at, (int) r.length());
            at += (int) r.length();
        }
        return pages(0, runs, data);
    }

    @Test
    void pagesSentAsRunsMakeTheTargetEqualToTheSource() {
        byte[] noise = new byte[64 * P];
        new Random(42).nextBytes(noise);
        source.copyIn(0, noise, 0, noise.length);
        assertThat(target.crc32c()).isNotEqualTo(source.crc32c());

        for (List<PageRun> batch : PageRun.batches(source.touchedPages(), 16L * P)) {
            PageWriter.write(copyOf(batch), List.of(target));
        }
        assertThat(target.crc32c()).isEqualTo(source.crc32c());

        source.copyIn(5L * P, new byte[] {1, 2, 3}, 0, 3);
        source.copyIn(40L * P, new byte[] {4}, 0, 1);
        PageWriter.write(copyOf(List.of(new PageRun(5L * P, P), new PageRun(40L * P, P))), List.of(target));
        assertThat(target.crc32c()).isEqualTo(source.crc32c());
    }

    @Test
    void aFrameThatDoesNotFitIsRefusedBeforeAnythingIsWritten() {
        long before = target.crc32c();
        List<GuestMemory> ram = List.of(target);
        byte[] page = new byte[P];
        page[0] = 9;

        assertThatThrownBy(() -> PageWriter.write(pages(1, List.of(new PageRun(0, P)), page), ram))
                .hasMessageContaining("pages for VM #1, but there are 1");
        assertThatThrownBy(() -> PageWriter.write(pages(0, List.of(new PageRun(0, P), new PageRun(64L * P, P)),
                new byte[2 * P]), ram)).hasMessageContaining("lies outside the VM's " + 64 * P + " bytes");
        assertThatThrownBy(() -> PageWriter.write(pages(0, List.of(new PageRun(0, 2L * P)), page), ram))
                .hasMessageContaining("the runs list 8192 bytes, the payload holds 4096");
        assertThat(target.crc32c()).isEqualTo(before);
    }
}
