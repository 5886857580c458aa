package dev.hyperfresh.sys;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The receiving side of {@link MemfdCrossProcessTest}, run in a second JVM: connects to the socket given as the
 * argument, takes the memfd, maps it, replies with the SHA-256 of its bytes, then writes {@link #MARKER} at
 * {@link #MARKER_OFFSET} so the sender can see the write land in its own mapping.
 */
public final class MemfdReceiverMain {
    static final byte[] MARKER = "written by the receiving process".getBytes(StandardCharsets.US_ASCII);
    static final long MARKER_OFFSET = 12345;

    private MemfdReceiverMain() {
    }

    public static void main(String[] args) throws Exception {
        try (UnixSocket socket = UnixSocket.connect(Path.of(args[0]))) {
            UnixSocket.Received received = socket.receive(new byte[1], 1);
            if (received.fds().size() != 1) {
                throw new IllegalStateException("expected one memfd, got " + received);
            }
            try (Fd memfd = received.fds().get(0); Mapping memory = Mapping.shared(memfd, Memfd.size(memfd))) {
                byte[] bytes = new byte[Math.toIntExact(memory.size())];
                memory.pointer().get(0, bytes, 0, bytes.length);
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
                memory.pointer().put(MARKER_OFFSET, MARKER, 0, MARKER.length);
                socket.writeFully(digest, 0, digest.length);
            }
        }
    }
}
