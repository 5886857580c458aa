package dev.hyperfresh.vmm.control;

import static dev.hyperfresh.vmm.control.ControlProtocol.MAX_FDS;
import static dev.hyperfresh.vmm.control.ControlProtocol.MAX_FRAME_BYTES;
import static dev.hyperfresh.vmm.control.ControlProtocol.MAX_HEADER_BYTES;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Sys;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.UnixSocket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jnr.constants.platform.Errno;

/**
 * Frames over one connected socket: u32 length of what follows | u32 header length | UTF-8 JSON header |
 * payloads, all big-endian. One thread receives; any number may send (a lock keeps frames whole).
 * {@link #shutdown} may be called from any thread to wake the others; {@link #close} only once they are done
 * with the channel, because a closed descriptor number can be reused by an unrelated file.
 */
public final class FrameChannel implements AutoCloseable {
    private static final int SHUT_RDWR = 2;
    /** Payload buffers grow with the bytes that actually arrive, never ahead of them to a declared size. */
    private static final int INITIAL_PAYLOAD_BUFFER = 1 << 20;
    private static final int SKIP_CHUNK = 64 << 10;

    private final UnixSocket socket;
    private final Object sendLock = new Object();
    private boolean closed;

    public FrameChannel(UnixSocket socket) {
        this.socket = socket;
    }

    public UnixSocket.PeerCredentials peerCredentials() {
        return socket.peerCredentials();
    }

    /**
     * From now on a receive waits at most {@code millis} (0: for ever): between frames it then throws {@link Idle}
     * and the connection stays usable; inside a frame the connection is dropped, as after any socket error.
     */
    public void setReceiveTimeout(long millis) {
        socket.setReceiveTimeout(millis);
    }

    /** No frame began within the receive time-out. */
    public static final class Idle extends RuntimeException {
        Idle() {
            super("no request within the receive time-out", null, false, false);
        }
    }

    /**
     * The next frame, or null when the peer closed the connection between frames (or died: a peer that exits
     * with bytes of ours unread resets the connection instead of closing it). A frame that breaks the rules
     * is skipped whole when its length allows and reported as a {@link ProtocolException}; end of stream inside a
     * frame and socket errors are other {@link RuntimeException}s, after which the connection is unusable.
     */
    public Frame receive() {
        byte[] prefix = new byte[4];
        // A sender attaches descriptors to a frame's first bytes, so only this first read may bring any.
        UnixSocket.Received first;
        try {
            first = socket.receive(prefix, MAX_FDS);
        } catch (SysException e) {
            if (e.errno() == Errno.ECONNRESET.intValue()) {
                return null;
            }
            if (e.timedOut()) {
                throw new Idle();
            }
            throw e;
        }
        if (first.length() == 0) {
            return null;
        }
        try {
            socket.readFully(prefix, first.length(), prefix.length - first.length());
            return readRest(u32(prefix), first.fds());
        } catch (RuntimeException e) {
            closeAll(first.fds(), e);
            throw e;
        }
    }

    private Frame readRest(long length, List<Fd> fds) {
        if (length > MAX_FRAME_BYTES) {
            throw new ProtocolException("frame length " + length + " exceeds the " + mib(MAX_FRAME_BYTES)
                    + " limit; the stream cannot be resynchronised, closing the connection", false, null);
        }
        if (length < 4) {
            throw new ProtocolException("frame length " + length + " cannot hold the 4-byte header length;"
                    + " closing the connection", false, null);
        }
        long headerLength = u32(readExactly(4));
        long rest = length - 4;
        if (headerLength > rest) {
            skip(rest);
            throw new ProtocolException("header length " + headerLength + " exceeds the " + rest
                    + " bytes left in its frame", true, null);
        }
        if (headerLength > MAX_HEADER_BYTES) {
            skip(rest);
            throw new ProtocolException("header of " + headerLength + " bytes exceeds the " + mib(MAX_HEADER_BYTES)
                    + " limit", true, null);
        }
        byte[] headerBytes = readExactly((int) headerLength);
        rest -= headerLength;
        ObjectNode header;
        long[] lengths;
        try {
            header = parseHeader(headerBytes);
            lengths = payloadLengths(header, rest);
        } catch (ProtocolException e) {
            skip(rest);
            throw e;
        }
        List<byte[]> payloads = new ArrayList<>(lengths.length);
        for (long n : lengths) {
            payloads.add(readGrowing((int) n));
        }
        return new Frame(header, payloads, fds);
    }

    private static ObjectNode parseHeader(byte[] bytes) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(bytes);
        } catch (IOException e) {
            String detail = e instanceof JacksonException j ? j.getOriginalMessage() : e.getMessage();
            throw new ProtocolException("malformed JSON header: " + detail, true, null);
        }
        if (node instanceof ObjectNode o) {
            return o;
        }
        throw new ProtocolException("the header must be a JSON object, not "
                + (node.isMissingNode() ? "empty" : node.getNodeType().name().toLowerCase()), true, null);
    }

    private static long[] payloadLengths(ObjectNode header, long rest) {
        JsonNode id = header.get("id");
        JsonNode listed = header.get("payloads");
        if (listed == null || listed.isNull()) {
            if (rest != 0) {
                throw new ProtocolException("the frame holds " + rest + " bytes after its header, but the header"
                        + " lists no \"payloads\"", true, id);
            }
            return new long[0];
        }
        if (!listed.isArray()) {
            throw new ProtocolException("\"payloads\" must be an array of byte counts", true, id);
        }
        long[] lengths = new long[listed.size()];
        long sum = 0;
        for (int i = 0; i < lengths.length; i++) {
            JsonNode n = listed.get(i);
            if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0 || n.asLong() > rest - sum) {
                throw new ProtocolException("\"payloads\" entry " + i + " (" + n + ") is not a byte count that fits"
                        + " the " + rest + " bytes after the header", true, id);
            }
            lengths[i] = n.asLong();
            sum += lengths[i];
        }
        if (sum != rest) {
            throw new ProtocolException("the header lists " + sum + " payload bytes, but the frame holds " + rest
                    + " after its header", true, id);
        }
        return lengths;
    }

    /**
     * Sends one frame; {@code "payloads"} in the header is set from {@code payloads}. Throws
     * IllegalArgumentException, having sent nothing, when the frame would break the protocol's limits.
     */
    public void send(ObjectNode header, List<byte[]> payloads, Fd... fds) {
        ObjectNode h = header.deepCopy();
        h.remove("payloads");
        if (!payloads.isEmpty()) {
            ArrayNode lengths = h.putArray("payloads");
            payloads.forEach(p -> lengths.add(p.length));
        }
        byte[] json;
        try {
            json = Json.MAPPER.writeValueAsBytes(h);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("header cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
        long length = 4L + json.length + payloads.stream().mapToLong(p -> p.length).sum();
        if (json.length > MAX_HEADER_BYTES || length > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("a frame of " + length + " bytes with a " + json.length
                    + "-byte header exceeds the protocol's limits (" + mib(MAX_FRAME_BYTES) + " frame, "
                    + mib(MAX_HEADER_BYTES) + " header)");
        }
        byte[] head = ByteBuffer.allocate(8 + json.length).putInt((int) length).putInt(json.length).put(json).array();
        synchronized (sendLock) {
            socket.send(head, fds);
            for (byte[] p : payloads) {
                socket.writeFully(p, 0, p.length);
            }
        }
    }

    /** Wakes threads blocked on this connection: their reads see end of stream, their writes fail. */
    public synchronized void shutdown() {
        if (!closed) {
            // ENOTCONN after the peer has gone is fine: the point is only that nothing stays blocked.
            Sys.C.shutdown(socket.fd().get(), SHUT_RDWR);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            socket.close();
        }
    }

    private byte[] readExactly(int n) {
        byte[] b = new byte[n];
        socket.readFully(b, 0, n);
        return b;
    }

    private byte[] readGrowing(int n) {
        byte[] buf = new byte[Math.min(n, INITIAL_PAYLOAD_BUFFER)];
        int got = 0;
        while (got < n) {
            if (got == buf.length) {
                buf = Arrays.copyOf(buf, (int) Math.min(n, 2L * buf.length));
            }
            socket.readFully(buf, got, buf.length - got);
            got = buf.length;
        }
        return buf;
    }

    private void skip(long n) {
        byte[] scratch = new byte[(int) Math.min(n, SKIP_CHUNK)];
        for (long left = n; left > 0; left -= scratch.length) {
            socket.readFully(scratch, 0, (int) Math.min(left, scratch.length));
        }
    }

    private static long u32(byte[] b) {
        return ByteBuffer.wrap(b).getInt() & 0xffffffffL;
    }

    private static String mib(int bytes) {
        return (bytes >> 20) + " MiB";
    }

    private static void closeAll(List<Fd> fds, RuntimeException failure) {
        for (Fd fd : fds) {
            try {
                fd.close();
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
    }
}
