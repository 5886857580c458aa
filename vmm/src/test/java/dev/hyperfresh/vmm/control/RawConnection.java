package dev.hyperfresh.vmm.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.UnixSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A client that writes whatever bytes a test wants, to play the misbehaving peer. */
final class RawConnection implements AutoCloseable {
    private static final int ECONNRESET = 104;

    private final UnixSocket socket;
    private final FrameChannel frames;

    RawConnection(Path path) {
        socket = UnixSocket.connect(path);
        frames = new FrameChannel(socket);
    }

    void sendBytes(byte[] bytes) {
        socket.writeFully(bytes, 0, bytes.length);
    }

    /** A correctly framed header of any text, followed by {@code payloadBytes} bytes of payload. */
    void sendFrame(String header, int payloadBytes) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        sendBytes(ByteBuffer.allocate(8 + json.length + payloadBytes).putInt(4 + json.length + payloadBytes)
                .putInt(json.length).put(json).array());
    }

    ObjectNode reply() {
        Frame frame = frames.receive();
        assertThat(frame).as("a reply before the server closed the connection").isNotNull();
        return frame.header();
    }

    /** True once the server has closed its end: end of stream, or a reset because it left our bytes unread. */
    boolean closedByServer() {
        try {
            return frames.receive() == null;
        } catch (SysException e) {
            return e.errno() == ECONNRESET;
        }
    }

    @Override
    public void close() {
        frames.close();
    }
}
