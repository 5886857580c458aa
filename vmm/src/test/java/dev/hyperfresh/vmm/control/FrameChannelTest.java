package dev.hyperfresh.vmm.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperfresh.sys.EventFd;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.UnixSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class FrameChannelTest {
    @Test
    void aFrameCarriesItsPayloadsAndDescriptors() {
        try (UnixSocket.Pair pair = UnixSocket.pair(); EventFd counter = EventFd.create(5)) {
            FrameChannel sender = new FrameChannel(pair.first());
            FrameChannel receiver = new FrameChannel(pair.second());
            byte[] big = new byte[3 << 20];
            big[big.length - 1] = 9;

            // Larger than the socket buffer: the sender blocks until the receiver reads.
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> sender.send(
                    Json.object().put("op", "x").put("payloads", "ignored"), List.of(new byte[] {1, 2}, big),
                    counter.fd()));
            Frame frame = receiver.receive();
            sent.join();

            assertThat(frame.header().get("payloads").toString()).isEqualTo("[2," + big.length + "]");
            assertThat(frame.payloads()).hasSize(2);
            assertThat(frame.payloads().get(0)).containsExactly(1, 2);
            assertThat(frame.payloads().get(1)).isEqualTo(big);
            assertThat(frame.fds()).hasSize(1);
            frame.fds().forEach(Fd::close);
        }
    }

    @Test
    void descriptorsStayWithTheFrameTheyWereSentWith() {
        try (UnixSocket.Pair pair = UnixSocket.pair(); EventFd a = EventFd.create(1); EventFd b = EventFd.create(2)) {
            FrameChannel sender = new FrameChannel(pair.first());
            FrameChannel receiver = new FrameChannel(pair.second());

            sender.send(Json.object().put("n", 1), List.of(new byte[100]), a.fd());
            sender.send(Json.object().put("n", 2), List.of());
            sender.send(Json.object().put("n", 3), List.of(), b.fd());

            for (int n = 1; n <= 3; n++) {
                Frame frame = receiver.receive();
                assertThat(frame.header().get("n").intValue()).isEqualTo(n);
                assertThat(frame.fds()).hasSize(n == 2 ? 0 : 1);
                frame.fds().forEach(Fd::close);
            }
        }
    }

    @Test
    void aFrameOverTheLimitIsRefusedBeforeAnythingIsSent() {
        try (UnixSocket.Pair pair = UnixSocket.pair()) {
            FrameChannel sender = new FrameChannel(pair.first());

            assertThatThrownBy(() -> sender.send(Json.object(), List.of(new byte[ControlProtocol.MAX_FRAME_BYTES])))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds the protocol's limits");
            sender.send(Json.object().put("after", true), List.of());

            assertThat(new FrameChannel(pair.second()).receive().header().has("after")).isTrue();
        }
    }

    @Test
    void endOfStreamBetweenFramesIsNull() {
        try (UnixSocket.Pair pair = UnixSocket.pair()) {
            pair.first().close();

            assertThat(new FrameChannel(pair.second()).receive()).isNull();
        }
    }
}
