package dev.hyperfresh.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.sys.RealtimePriority;
import dev.hyperfresh.sys.Sys;
import dev.hyperfresh.sys.UnixSocket;
import dev.hyperfresh.vmm.control.Frame;
import dev.hyperfresh.vmm.control.FrameChannel;
import dev.hyperfresh.vmm.control.Json;
import dev.hyperfresh.vmm.control.Replies;
import java.util.List;
import jnr.ffi.Pointer;

/**
 * The take message and its reply over a unix socketpair ({@link UnixSocket#pair()}), framed by the real
 * {@link FrameChannel}: the old side sends the take frame OutgoingHandover sends and reads the reply; the standby's
 * thread, blocked in {@link FrameChannel#receive()}, answers as IncomingHandover does ({@link Replies#ok}). Floor:
 * one byte written and read back through {@code Sys.C.write/read} on a second socketpair made the same way, with
 * its own blocked thread (interleaved with the framed hop, round by round).
 */
final class SocketProbe implements CutoverProbe {
    private static final ObjectNode TAKE = Json.object().put("v", 1).put("op", "take").put("id", 2);

    private final UnixSocket.Pair framed = UnixSocket.pair();
    private final UnixSocket.Pair raw = UnixSocket.pair();
    private final FrameChannel old = new FrameChannel(framed.first());
    private final FrameChannel standby = new FrameChannel(framed.second());
    private final Pointer oldByte = Sys.allocate(1);
    private final Thread standbyThread;
    private final Thread floorThread;
    private volatile long takeReceivedAt;
    private volatile long replySentAt;
    private volatile long byteReceivedAt;
    private volatile long byteSentAt;

    SocketProbe(boolean realtime) {
        standbyThread = new Thread(() -> answerTakes(realtime), "bench-standby");
        floorThread = new Thread(() -> echoBytes(realtime), "floor-socket");
        standbyThread.setDaemon(true);
        floorThread.setDaemon(true);
        standbyThread.start();
        floorThread.start();
    }

    private void answerTakes(boolean realtime) {
        try (RealtimePriority boost = realtime ? RealtimePriority.raise() : null) {
            Frame take;
            while ((take = receiveOrNull()) != null) {
                takeReceivedAt = System.nanoTime();
                ObjectNode reply = Replies.ok(take.header().get("id"));
                replySentAt = System.nanoTime();
                standby.send(reply, List.of());
            }
        }
    }

    private Frame receiveOrNull() {
        try {
            return standby.receive();
        } catch (RuntimeException e) {
            return null;   // shut down
        }
    }

    private void echoBytes(boolean realtime) {
        try (RealtimePriority boost = realtime ? RealtimePriority.raise() : null) {
            int fd = raw.second().fd().get();
            Pointer b = Sys.allocate(1);
            while (Sys.C.read(fd, b, 1) == 1) {
                byteReceivedAt = System.nanoTime();
                byteSentAt = System.nanoTime();
                if (Sys.C.write(fd, b, 1) != 1) {
                    return;
                }
            }
        }
    }

    @Override
    public List<Row> rows() {
        return List.of(
                new Row(60, "take hop (FrameChannel.send → receive)", "1-byte write → read, same socketpair kind",
                        false),
                new Row(100, "reply hop (FrameChannel.send → receive)", "1-byte write → read, same socketpair kind",
                        false));
    }

    @Override
    public void round(long[] real, long[] floor) {
        long sent = System.nanoTime();
        old.send(TAKE, List.of());
        Frame reply = old.receive();
        long received = System.nanoTime();
        if (reply == null || !reply.ok()) {
            throw new IllegalStateException("the standby's thread did not answer the take: " + reply);
        }
        real[0] = takeReceivedAt - sent;
        real[1] = received - replySentAt;

        int fd = raw.first().fd().get();
        long written = System.nanoTime();
        Sys.check(Sys.C.write(fd, oldByte, 1), "write");
        Sys.check(Sys.C.read(fd, oldByte, 1), "read");
        long read = System.nanoTime();
        floor[0] = byteReceivedAt - written;
        floor[1] = read - byteSentAt;
    }

    @Override
    public void close() throws InterruptedException {
        old.shutdown();
        Sys.C.shutdown(raw.first().fd().get(), 2);
        standbyThread.join(5_000);
        floorThread.join(5_000);
        old.close();
        standby.close();
        raw.close();
    }
}
