package dev.hyperfresh.vmm.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Whatever one client sends, it gets an error reply or is disconnected, and the next client is served. */
@Timeout(30)
class MisbehavingClientTest {
    private static final String PING = "{\"v\":1,\"op\":\"ping\",\"id\":\"after\"}";

    @TempDir
    Path dir;
    private ControlServer server;

    @BeforeEach
    void start() {
        server = ControlServer.start(dir.resolve("test.sock"), new FakeHandler());
    }

    @AfterEach
    void aWellBehavedClientIsStillServed() {
        try (ControlClient client = ControlClient.connect(server.path())) {
            assertThat(client.info().name()).isEqualTo("test-instance");
        } finally {
            server.close();
        }
    }

    @Test
    void malformedJson() {
        assertErrorThenStillServing("{\"v\":1,\"op\":", 0, "malformed JSON header");
    }

    @Test
    void aHeaderThatIsNotAnObject() {
        assertErrorThenStillServing("[1,2]", 0, "the header must be a JSON object, not array");
    }

    @Test
    void twoObjectsInOneHeader() {
        assertErrorThenStillServing("{\"v\":1,\"op\":\"ping\"} {}", 0, "malformed JSON header");
    }

    @Test
    void unknownOpListsTheKnownOnes() {
        ObjectNode reply = assertErrorThenStillServing("{\"v\":1,\"op\":\"frobnicate\",\"id\":5}", 0,
                "unknown op \"frobnicate\"; known ops: info, pause, resume, save-state, subscribe, ping");
        assertThat(reply.get("id").intValue()).isEqualTo(5);
    }

    @Test
    void unknownProtocolVersionNamesBoth() {
        assertErrorThenStillServing("{\"v\":2,\"op\":\"ping\"}", 0,
                "protocol version 2 is not supported; this hfvisor speaks 1");
    }

    @Test
    void missingProtocolVersion() {
        assertErrorThenStillServing("{\"op\":\"ping\"}", 0, "no protocol version");
    }

    @Test
    void aVmThatIsNotAString() {
        assertErrorThenStillServing("{\"v\":1,\"op\":\"pause\",\"vm\":[1]}", 0, "\"vm\" must be a VM name string");
    }

    @Test
    void payloadsTheHeaderDoesNotList() {
        ObjectNode reply = assertErrorThenStillServing("{\"v\":1,\"op\":\"ping\",\"id\":3}", 10,
                "the frame holds 10 bytes after its header, but the header lists no \"payloads\"");
        assertThat(reply.get("id").intValue()).isEqualTo(3);
    }

    @Test
    void payloadLengthsThatDoNotAddUp() {
        assertErrorThenStillServing("{\"v\":1,\"op\":\"ping\",\"payloads\":[4,4]}", 10,
                "the header lists 8 payload bytes, but the frame holds 10");
        assertErrorThenStillServing("{\"v\":1,\"op\":\"ping\",\"payloads\":[-1]}", 10, "\"payloads\" entry 0 (-1)");
    }

    @Test
    void anOversizedHeaderIsSkippedWhole() {
        String big = "{\"v\":1,\"op\":\"ping\",\"pad\":\"" + "x".repeat(ControlProtocol.MAX_HEADER_BYTES) + "\"}";
        assertErrorThenStillServing(big, 0, "exceeds the 1 MiB limit");
    }

    @Test
    void aHeaderLengthBeyondItsFrame() {
        try (RawConnection raw = new RawConnection(server.path())) {
            raw.sendBytes(ByteBuffer.allocate(14).putInt(10).putInt(1000).putShort((short) 0).array());
            assertThat(raw.reply().get("error").textValue()).isEqualTo("header length 1000 exceeds the 6 bytes left"
                    + " in its frame");
            raw.sendFrame(PING, 0);
            assertThat(raw.reply().get("ok").booleanValue()).isTrue();
        }
    }

    @Test
    void aHugeLengthPrefixGetsAnErrorAndTheConnectionClosed() {
        try (RawConnection raw = new RawConnection(server.path())) {
            raw.sendBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 2, '{', '}'});
            ObjectNode reply = raw.reply();
            assertThat(reply.get("ok").booleanValue()).isFalse();
            assertThat(reply.get("v").intValue()).isEqualTo(ControlProtocol.VERSION);
            assertThat(reply.get("error").textValue()).isEqualTo("frame length 4294967295 exceeds the 16 MiB limit;"
                    + " the stream cannot be resynchronised, closing the connection");
            assertThat(raw.closedByServer()).isTrue();
        }
    }

    @Test
    void garbageBytesGetAnErrorAndTheConnectionClosed() {
        try (RawConnection raw = new RawConnection(server.path())) {
            raw.sendBytes("GET / HTTP/1.1\r\nHost: hfvisor\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(raw.reply().get("error").textValue()).startsWith("frame length 1195725856 exceeds");
            assertThat(raw.closedByServer()).isTrue();
        }
    }

    @Test
    void aTooShortLengthGetsAnErrorAndTheConnectionClosed() {
        try (RawConnection raw = new RawConnection(server.path())) {
            raw.sendBytes(new byte[] {0, 0, 0, 2, 0, 0});
            assertThat(raw.reply().get("error").textValue()).contains("cannot hold the 4-byte header length");
            assertThat(raw.closedByServer()).isTrue();
        }
    }

    @Test
    void aClientThatDisconnectsMidFrame() {
        try (RawConnection raw = new RawConnection(server.path())) {
            raw.sendBytes(ByteBuffer.allocate(12).putInt(100).putInt(96).putInt(0x7b227622).array());
        }
    }

    @Test
    void aClientThatDisconnectsInsideTheLengthPrefix() {
        try (RawConnection raw = new RawConnection(server.path())) {
            raw.sendBytes(new byte[] {0, 0});
        }
    }

    @Test
    void moreClientsThanTheLimitAreTurnedAwayWithAReason() {
        List<RawConnection> open = new ArrayList<>();
        try {
            for (int i = 0; i < ControlServer.MAX_CLIENTS; i++) {
                RawConnection raw = new RawConnection(server.path());
                open.add(raw);
                raw.sendFrame(PING, 0);
                assertThat(raw.reply().get("ok").booleanValue()).isTrue();
            }
            try (RawConnection extra = new RawConnection(server.path())) {
                assertThat(extra.reply().get("error").textValue())
                        .isEqualTo("control socket busy: 32 clients are connected already");
                assertThat(extra.closedByServer()).isTrue();
            }
        } finally {
            open.forEach(RawConnection::close);
        }
        awaitClientsGone();
    }

    /** Silent clients (none mid-frame may stall, none idle may sit) lose their place; a subscriber keeps its own. */
    @Test
    void silentClientsAreDisconnectedSoTheyCannotFillTheSocket() throws Exception {
        try (ControlServer quick = ControlServer.start(dir.resolve("quick.sock"), new FakeHandler(), 300);
                RawConnection stalled = new RawConnection(quick.path());
                RawConnection idle = new RawConnection(quick.path());
                ControlClient subscriber = ControlClient.connect(quick.path())) {
            CountDownLatch heard = new CountDownLatch(1);
            subscriber.subscribe(event -> heard.countDown());
            stalled.sendBytes(ByteBuffer.allocate(8).putInt(100).putInt(96).array());
            idle.sendFrame(PING, 0);
            assertThat(idle.reply().get("ok").booleanValue()).isTrue();

            Thread.sleep(1000);

            assertThat(stalled.closedByServer()).as("mid-frame for longer than the time-out").isTrue();
            assertThat(idle.closedByServer()).as("silent for longer than the time-out").isTrue();
            quick.publish(Event.state("web", "running"));
            assertThat(heard.await(10, TimeUnit.SECONDS)).as("the subscriber still hears").isTrue();
        }
    }

    private ObjectNode assertErrorThenStillServing(String header, int payloadBytes, String error) {
        try (RawConnection raw = new RawConnection(server.path())) {
            raw.sendFrame(header, payloadBytes);
            ObjectNode reply = raw.reply();
            assertThat(reply.get("ok").booleanValue()).isFalse();
            assertThat(reply.get("v").intValue()).isEqualTo(ControlProtocol.VERSION);
            assertThat(reply.get("error").textValue()).contains(error);
            raw.sendFrame(PING, 0);
            ObjectNode pong = raw.reply();
            assertThat(pong.get("ok").booleanValue()).as("ping after the error").isTrue();
            assertThat(pong.get("id").textValue()).isEqualTo("after");
            return reply;
        }
    }

    /** The server notices closed connections on their own threads; the next client must not find it full. */
    private void awaitClientsGone() {
        for (int i = 0; i < 200; i++) {
            try (ControlClient c = ControlClient.connect(server.path())) {
                c.ping();
                return;
            } catch (ControlException busy) {
                sleep();
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
