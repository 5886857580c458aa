package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.vmm.heartbeat.GuestLine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class GuestOutputTest {
    private final List<String> published = new CopyOnWriteArrayList<>();

    @Test
    void linesArePublishedParsedAndInOrderOnceFlushed() {
        List<Consumer<GuestLine>> guest = List.of(l -> published.add(l.kind() + ":" + l.fields().get("seq")));
        List<Consumer<String>> serial = List.of(t -> published.add("serial:" + t));
        try (GuestOutput out = new GuestOutput("web", guest, serial)) {
            out.guestLine("HB cpu=0 seq=1");
            out.serialLine("Linux version 6.1");
            out.guestLine("HB cpu=0 seq=2");
            out.flush();
            assertThat(published).containsExactly("HB:1", "serial:Linux version 6.1", "HB:2");
            assertThat(out.dropped()).isZero();
        }
    }

    @Test
    void aPublisherThatFallsBehindLosesTheNewestLinesNeverTheCaller() throws Exception {
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        List<Consumer<GuestLine>> guest = List.of(l -> {
            holding.countDown();
            await(stuck);
            published.add(l.fields().get("seq"));
        });
        try (GuestOutput out = new GuestOutput("web", guest, List.of())) {
            out.guestLine("HB seq=0");
            assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();   // the publisher holds line 0
            for (int i = 1; i <= GuestOutput.CAPACITY + 3; i++) {
                out.guestLine("HB seq=" + i);
            }
            assertThat(out.dropped()).isEqualTo(3);
            stuck.countDown();
            out.flush();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i <= GuestOutput.CAPACITY; i++) {
                expected.add(Integer.toString(i));
            }
            assertThat(published).containsExactlyElementsOf(expected);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
