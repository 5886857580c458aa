package dev.hyperfresh.qemu.replace;

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
import java.util.Random;
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
    private static final byte[] DESCRIPTION = "{\"page_size\": 4096, \"devices\": [{\"name\": \"timer\"}]}"
            .getBytes(StandardCharsets.US_ASCII);

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

    @Test
    void theEndIsTheMarkerAndADescriptionAsFarAsReadOrAMarkerAlone() {
        for (int before = 0; before < 20; before++) {   // the scan goes eight bytes at a time: every alignment
            byte[] end = concat(random(before), end(DESCRIPTION));
            for (int read = before + 1; read <= end.length; read++) {
                assertThat(StreamHold.possibleEnd(ByteBuffer.wrap(end), 0, read)).as("%d + %d bytes", before, read)
                        .isEqualTo(before);
            }
        }
        byte[] noDescription = {1, 2, 0};   // machines that send none end on the marker
        assertThat(StreamHold.possibleEnd(ByteBuffer.wrap(noDescription), 0, 3)).isEqualTo(2);
        assertThat(StreamHold.possibleEnd(ByteBuffer.wrap(noDescription), 0, 2)).isEqualTo(2);
    }

    @Test
    void lookAlikesOfTheEndAreLetGo() {
        byte[] notJson = concat(new byte[] {1}, end("[1, 2]".getBytes(StandardCharsets.US_ASCII)));
        assertThat(StreamHold.possibleEnd(ByteBuffer.wrap(notJson), 0, notJson.length)).isEqualTo(notJson.length);
        byte[] tooLong = concat(end(DESCRIPTION), new byte[] {7});   // more follows than the length says
        assertThat(StreamHold.possibleEnd(ByteBuffer.wrap(tooLong), 0, tooLong.length)).isEqualTo(tooLong.length);
        byte[] markerThenState = {0, 0x04, 1, 1};
        assertThat(StreamHold.possibleEnd(ByteBuffer.wrap(markerThenState), 0, 4)).isEqualTo(4);
        byte[] lookAlikeThenEnd = concat(concat(end(DESCRIPTION), random(100)), end(DESCRIPTION));
        assertThat(StreamHold.possibleEnd(ByteBuffer.wrap(lookAlikeThenEnd), 0, lookAlikeThenEnd.length))
                .isEqualTo(lookAlikeThenEnd.length - end(DESCRIPTION).length);
    }

    /** QEMU's end of a precopy stream: QEMU_VM_EOF, QEMU_VM_VMDESCRIPTION, be32 length, the JSON. */
    private static byte[] end(byte[] json) {
        return concat(ByteBuffer.allocate(6).put((byte) 0).put((byte) 0x06).putInt(json.length).array(), json);
    }

    private SocketChannel connect() throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(hold.path()));
    }

    /** Random device and RAM bytes, without the marker (a look-alike is let go only once more than it follows). */
    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        for (int i = 0; i < n; i++) {
            if (b[i] == 0) {
                b[i] = 1;
            }
        }
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
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
