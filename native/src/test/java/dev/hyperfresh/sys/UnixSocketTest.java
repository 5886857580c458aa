package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.EOFException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixSocketTest {
    @TempDir
    Path dir;

    @Test
    void aReceiveTimeOutEndsAWaitForBytesThatNeverCome() {
        try (UnixSocket.Pair pair = UnixSocket.pair()) {
            pair.second().setReceiveTimeout(50);
            byte[] buf = new byte[4];

            assertThatThrownBy(() -> pair.second().receive(buf, 0)).isInstanceOf(SysException.class)
                    .satisfies(e -> assertThat(((SysException) e).timedOut()).isTrue());
            pair.first().send(new byte[] {1, 2});
            assertThatThrownBy(() -> pair.second().readFully(buf, 0, 4)).as("half a message, then silence")
                    .isInstanceOf(SysException.class).hasMessageContaining("EAGAIN");
            pair.second().setReceiveTimeout(0);
            pair.first().send(new byte[] {3, 4, 5, 6});
            assertThat(pair.second().receive(buf, 0).length()).isEqualTo(4);
        }
    }

    @Test
    void sendsBytesWithoutDescriptors() {
        try (UnixSocket.Pair pair = UnixSocket.pair()) {
            pair.first().send("hello".getBytes(StandardCharsets.UTF_8));

            byte[] buf = new byte[16];
            UnixSocket.Received received = pair.second().receive(buf, 4);

            assertThat(received.fds()).isEmpty();
            assertThat(new String(buf, 0, received.length(), StandardCharsets.UTF_8)).isEqualTo("hello");
        }
    }

    @Test
    void passesOneDescriptorThatReachesTheSameFile() {
        try (UnixSocket.Pair pair = UnixSocket.pair(); UnixSocket.Pair carried = UnixSocket.pair()) {
            pair.first().send(new byte[] {42}, carried.first().fd());
            carried.first().close();

            byte[] buf = new byte[1];
            UnixSocket.Received received = pair.second().receive(buf, 1);

            assertThat(received.length()).isEqualTo(1);
            assertThat(buf[0]).isEqualTo((byte) 42);
            assertThat(received.fds()).hasSize(1);
            try (UnixSocket passedEnd = new UnixSocket(received.fds().get(0))) {
                passedEnd.send("via passed fd".getBytes(StandardCharsets.UTF_8));
                byte[] text = new byte[13];
                carried.second().readFully(text, 0, text.length);
                assertThat(new String(text, StandardCharsets.UTF_8)).isEqualTo("via passed fd");
            }
        }
    }

    @Test
    void passesThreeDescriptorsInOrder() {
        try (UnixSocket.Pair pair = UnixSocket.pair();
                EventFd a = EventFd.create(1, EventFd.Option.NONBLOCKING);
                EventFd b = EventFd.create(2, EventFd.Option.NONBLOCKING);
                EventFd c = EventFd.create(3, EventFd.Option.NONBLOCKING)) {
            pair.first().send(new byte[] {1, 2, 3}, a.fd(), b.fd(), c.fd());

            UnixSocket.Received received = pair.second().receive(new byte[8], 3);

            assertThat(received.length()).isEqualTo(3);
            assertThat(received.fds()).hasSize(3);
            long[] counters = new long[3];
            for (int i = 0; i < 3; i++) {
                try (Fd fd = received.fds().get(i)) {
                    counters[i] = readCounter(fd);
                }
            }
            assertThat(counters).containsExactly(1, 2, 3);
            // Reading through the received descriptors drained the sender's own counters: same files, not copies.
            assertThat(new long[] {a.read(), b.read(), c.read()}).containsExactly(0, 0, 0);
        }
    }

    @Test
    void descriptorsTravelOnlyWithTheFirstChunkOfALargeMessage() throws Exception {
        byte[] data = randomBytes(1 << 20);
        try (UnixSocket.Pair pair = UnixSocket.pair(); EventFd event = EventFd.create(7)) {
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> pair.first().send(data, event.fd()));

            byte[] got = new byte[data.length];
            UnixSocket.Received first = pair.second().receive(got, 1);
            assertThat(first.fds()).hasSize(1);
            first.fds().get(0).close();
            pair.second().readFully(got, first.length(), data.length - first.length());

            sender.get(10, TimeUnit.SECONDS);
            assertThat(got).isEqualTo(data);
        }
    }

    @Test
    void writeFullyAndReadFullyMoveOneMebibyteAcrossThreads() throws Exception {
        byte[] data = randomBytes(1 << 20);
        try (UnixSocket.Pair pair = UnixSocket.pair()) {
            CompletableFuture<Void> writer =
                    CompletableFuture.runAsync(() -> pair.first().writeFully(data, 0, data.length));

            byte[] got = new byte[data.length];
            pair.second().readFully(got, 0, got.length);

            writer.get(10, TimeUnit.SECONDS);
            assertThat(got).isEqualTo(data);
        }
    }

    @Test
    void readFullyReportsEndOfStreamWithProgress() {
        try (UnixSocket.Pair pair = UnixSocket.pair()) {
            pair.first().send(new byte[3]);
            pair.first().close();

            assertThatThrownBy(() -> pair.second().readFully(new byte[10], 0, 10))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasCauseInstanceOf(EOFException.class)
                    .hasMessageContaining("after 3 of 10 bytes");
        }
    }

    @Test
    void receiveReturnsZeroAtEndOfStream() {
        try (UnixSocket.Pair pair = UnixSocket.pair()) {
            pair.first().close();

            UnixSocket.Received received = pair.second().receive(new byte[4], 1);

            assertThat(received.length()).isZero();
            assertThat(received.fds()).isEmpty();
        }
    }

    @Test
    void listenerAcceptsAConnectionAndCreatesAnOwnerOnlySocketFile() throws Exception {
        Path path = dir.resolve("vmm.sock");
        try (UnixServer server = UnixSocket.listen(path);
                UnixSocket client = UnixSocket.connect(path);
                UnixSocket accepted = server.accept()) {
            assertThat(Files.getPosixFilePermissions(path))
                    .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));

            client.send("ping".getBytes(StandardCharsets.UTF_8));
            byte[] buf = new byte[4];
            accepted.readFully(buf, 0, 4);
            assertThat(new String(buf, StandardCharsets.UTF_8)).isEqualTo("ping");
        }
        assertThat(path).doesNotExist();
    }

    @Test
    void theListenerOfASocketIsToldWithoutItAcceptingAndNoListenerIsAnError() throws Exception {
        Path path = dir.resolve("probed.sock");
        try (UnixServer server = UnixSocket.listen(path)) {
            assertThat(UnixSocket.listenerOf(path)).hasValueSatisfying(peer -> {
                assertThat(peer.pid()).isEqualTo(ProcessHandle.current().pid());
                assertThat(peer.uid()).isEqualTo(Sys.C.geteuid());
            });
        }
        assertThatThrownBy(() -> UnixSocket.listenerOf(path)).isInstanceOf(SysException.class)
                .hasMessageContaining(path.toString());
    }

    @Test
    void closingAListenerWakesTheThreadWaitingInAccept() throws Exception {
        UnixServer server = UnixSocket.listen(dir.resolve("woken.sock"));
        CompletableFuture<Throwable> accepting = CompletableFuture.supplyAsync(() -> {
            try {
                server.accept().close();
                return null;
            } catch (SysException e) {
                return e;
            }
        });
        Thread.sleep(100);   // into accept4

        server.close();

        assertThat(accepting.get(5, TimeUnit.SECONDS)).isInstanceOf(SysException.class).hasMessageContaining("EINVAL");
    }

    @Test
    void peerCredentialsNameThisProcessOverASocketPair() {
        try (UnixSocket.Pair pair = UnixSocket.pair()) {
            assertThat(pair.first().peerCredentials()).isEqualTo(thisProcess());
            assertThat(pair.second().peerCredentials()).isEqualTo(thisProcess());
        }
    }

    @Test
    void peerCredentialsNameThisProcessOverAListenerConnection() {
        Path path = dir.resolve("cred.sock");
        try (UnixServer server = UnixSocket.listen(path);
                UnixSocket client = UnixSocket.connect(path);
                UnixSocket accepted = server.accept()) {
            assertThat(client.peerCredentials()).isEqualTo(thisProcess());
            assertThat(accepted.peerCredentials()).isEqualTo(thisProcess());
        }
    }

    @Test
    void connectingToAMissingPathNamesTheCallThePathAndEnoent() {
        Path missing = dir.resolve("nobody-listens.sock");

        assertThatThrownBy(() -> UnixSocket.connect(missing))
                .isInstanceOf(SysException.class)
                .hasMessageContaining("connect(" + missing + ")")
                .hasMessageContaining("ENOENT")
                .satisfies(e -> assertThat(((SysException) e).errno()).isEqualTo(2));
    }

    @Test
    void listeningOnAnExistingPathNamesBind() throws Exception {
        Path taken = Files.createFile(dir.resolve("taken.sock"));

        assertThatThrownBy(() -> UnixSocket.listen(taken))
                .isInstanceOf(SysException.class)
                .hasMessageContaining("bind(" + taken + ")")
                .hasMessageContaining("EADDRINUSE");
        assertThat(taken).exists();
    }

    @Test
    void rejectsAPathLongerThanSunPath() {
        Path longest = Path.of("/" + "a".repeat(106));
        Path tooLong = Path.of("/" + "a".repeat(107));

        assertThatThrownBy(() -> UnixSocket.connect(tooLong))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("108 bytes")
                .hasMessageContaining(tooLong.toString());
        assertThatThrownBy(() -> UnixSocket.listen(tooLong)).isInstanceOf(IllegalArgumentException.class);
        // 107 bytes plus the NUL fit: the limit is the kernel's, not an off-by-one here.
        assertThatThrownBy(() -> UnixSocket.connect(longest))
                .isInstanceOf(SysException.class)
                .hasMessageContaining("ENOENT");
    }

    @Test
    void usingAClosedSocketIsAClearError() {
        UnixSocket.Pair pair = UnixSocket.pair();
        pair.close();
        pair.close();

        assertThatThrownBy(() -> pair.first().send(new byte[1]))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("socketpair end 0 is closed");
        assertThatThrownBy(() -> pair.second().receive(new byte[1], 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed");
        assertThatThrownBy(() -> pair.first().peerCredentials()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void sendingAClosedDescriptorIsAClearError() {
        try (UnixSocket.Pair pair = UnixSocket.pair()) {
            EventFd closed = EventFd.create(0);
            closed.close();

            assertThatThrownBy(() -> pair.first().send(new byte[1], closed.fd()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("eventfd is closed");
        }
    }

    @Test
    void descriptorsNeedADataByte() {
        try (UnixSocket.Pair pair = UnixSocket.pair(); EventFd event = EventFd.create(0)) {
            assertThatThrownBy(() -> pair.first().send(new byte[0], event.fd()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at least one data byte");
        }
    }

    @Test
    void moreDescriptorsThanExpectedFailsClearlyAndLeaksNone() {
        try (UnixSocket.Pair pair = UnixSocket.pair(); UnixSocket.Pair probe = UnixSocket.pair()) {
            pair.first().send(new byte[] {9}, probe.first().fd(), probe.first().fd(), probe.first().fd());
            probe.first().close();

            assertThatThrownBy(() -> pair.second().receive(new byte[1], 1))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("more than the 1 file descriptor(s) expected")
                    .hasMessageContaining("the 1 received were closed");

            // End of stream on the probe proves no copy of its other end survived anywhere in this process.
            UnixSocket.Received eof = assertTimeoutPreemptively(Duration.ofSeconds(5),
                    () -> probe.second().receive(new byte[1], 0));
            assertThat(eof.length()).isZero();
        }
    }

    @Test
    void unexpectedDescriptorsDuringReadFullyAreAnError() {
        try (UnixSocket.Pair pair = UnixSocket.pair(); EventFd event = EventFd.create(0)) {
            pair.first().send(new byte[] {1, 2}, event.fd());

            assertThatThrownBy(() -> pair.second().readFully(new byte[2], 0, 2))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("more than the 0 file descriptor(s) expected");
        }
    }

    private static UnixSocket.PeerCredentials thisProcess() {
        return new UnixSocket.PeerCredentials((int) ProcessHandle.current().pid(), Sys.C.geteuid(), Sys.C.getegid());
    }

    private static long readCounter(Fd eventfd) {
        jnr.ffi.Pointer value = Sys.allocate(8);
        Sys.check(Sys.C.read(eventfd.get(), value, 8), "read(" + eventfd.what() + ")");
        return value.getLongLong(0);
    }

    private static byte[] randomBytes(int size) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return data;
    }
}
