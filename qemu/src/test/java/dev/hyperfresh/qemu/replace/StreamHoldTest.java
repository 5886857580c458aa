package dev.hyperfresh.qemu.replace;

import static dev.hyperfresh.qemu.replace.StreamBytes.DESCRIPTION;
import static dev.hyperfresh.qemu.replace.StreamBytes.concat;
import static dev.hyperfresh.qemu.replace.StreamBytes.end;
import static dev.hyperfresh.qemu.replace.StreamBytes.random;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stream between two sockets standing in for the QEMUs (the real ones: {@link QemuCutoverTest},
 * {@link QemuGuardTest}): everything before QEMU's end-of-state marker reaches the new side as it comes, the marker
 * and the VM description after it only on the release; a close before it cuts the stream short of the marker.
 */
class StreamHoldTest {
    private static final long SETTLE_MS = 200;

    @TempDir
    Path dir;
    private ServerSocketChannel newQemu;
    private StreamHold hold;

    @BeforeEach
    void listen() throws IOException {
        Path incoming = dir.resolve("vm.qmp.migrate");
        newQemu = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        newQemu.bind(UnixDomainSocketAddress.of(incoming));
        hold = StreamHold.listen(incoming);
    }

    @AfterEach
    void close() throws IOException {
        hold.close();
        newQemu.close();
    }

    @Test
    void everythingBeforeTheEndGoesOnAsItComesTheEndOnlyOnTheRelease() throws Exception {
        byte[] state = random(3 << 20);   // more than one read's worth
        byte[] end = end(DESCRIPTION);
        try (SocketChannel oldQemu = connect(); SocketChannel in = newQemu.accept()) {
            write(oldQemu, concat(state, end));
            assertThat(readFor(in, state.length)).isEqualTo(state);
            assertThat(nothingMoreWithin(in)).as("the end is held").isTrue();
            hold.release();
            assertThat(readFor(in, end.length)).isEqualTo(end);
            write(oldQemu, new byte[] {42}).join();   // whatever follows a release passes as it comes
            oldQemu.shutdownOutput();
            assertThat(readToEnd(in)).containsExactly(42);
        }
        assertThat(Files.exists(hold.path())).as("no socket file left").isFalse();
    }

    @Test
    void anEndLongerThanTheBufferIsHeldWhole() throws Exception {
        byte[] state = random(100_000);
        byte[] json = ("{\"devices\": \"" + "x".repeat(3 << 20) + "\"}").getBytes(StandardCharsets.US_ASCII);
        byte[] end = end(json);
        try (SocketChannel oldQemu = connect(); SocketChannel in = newQemu.accept()) {
            write(oldQemu, concat(state, end));
            assertThat(readFor(in, state.length)).isEqualTo(state);
            assertThat(nothingMoreWithin(in)).isTrue();
            CompletableFuture.runAsync(hold::release);   // it writes what is held, more than a socket takes at once
            assertThat(readFor(in, end.length)).isEqualTo(end);
        }
    }

    @Test
    void aReleaseAfterTheOldSideEndedPassesTheEndOnAndEndsTheStream() throws Exception {
        byte[] state = random(1000);
        try (SocketChannel oldQemu = connect(); SocketChannel in = newQemu.accept()) {
            write(oldQemu, concat(state, end(DESCRIPTION))).join();
            oldQemu.shutdownOutput();
            assertThat(readFor(in, state.length)).isEqualTo(state);
            assertThat(nothingMoreWithin(in)).isTrue();
            hold.release();
            assertThat(readToEnd(in)).isEqualTo(end(DESCRIPTION));
        }
    }

    @Test
    void aCloseBeforeTheReleaseCutsTheStreamShortOfTheEndOnBothSides() throws Exception {
        byte[] state = random(1000);
        try (SocketChannel oldQemu = connect(); SocketChannel in = newQemu.accept()) {
            write(oldQemu, concat(state, end(DESCRIPTION))).join();
            assertThat(readFor(in, state.length)).isEqualTo(state);
            hold.close();
            assertThat(readToEnd(in)).as("the new side's load cannot end").isEmpty();
            assertThat(oldQemu.read(ByteBuffer.allocate(1))).as("the old side sees the stream gone").isEqualTo(-1);
            hold.release();   // too late: nothing more goes anywhere
        }
    }

    @Test
    void aCloseBeforeTheOldQemuConnectedLeavesNoSocketBehind() {
        hold.close();
        assertThat(Files.exists(hold.path())).isFalse();
    }

    private SocketChannel connect() throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(hold.path()));
    }



    private static CompletableFuture<Void> write(SocketChannel c, byte[] b) {
        return CompletableFuture.runAsync(() -> {   // the other side reads meanwhile: a socket holds less than this
            try {
                ByteBuffer buf = ByteBuffer.wrap(b);
                while (buf.hasRemaining()) {
                    c.write(buf);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static byte[] readFor(SocketChannel in, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining() && in.read(b) >= 0) {
            // until n bytes or the end
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    private static boolean nothingMoreWithin(SocketChannel in) throws Exception {
        Thread.sleep(SETTLE_MS);
        in.configureBlocking(false);
        try {
            return in.read(ByteBuffer.allocate(1)) == 0;
        } finally {
            in.configureBlocking(true);
        }
    }

    private static byte[] readToEnd(SocketChannel in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(4096);
        while (in.read(b) >= 0) {
            out.write(b.array(), 0, b.position());
            b.clear();
        }
        return out.toByteArray();
    }
}
