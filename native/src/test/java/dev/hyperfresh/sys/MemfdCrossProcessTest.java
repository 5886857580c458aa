package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Guest RAM handover in miniature: a memfd sent to a second JVM is the same memory there, not a copy. */
class MemfdCrossProcessTest {
    private static final int SIZE = 4 << 20;

    @TempDir
    Path dir;

    @Test
    void aSecondProcessMapsTheSamePages() throws Exception {
        Path socketPath = dir.resolve("handover.sock");
        Path childLog = dir.resolve("receiver.log");
        byte[] pattern = pattern();

        try (Fd memfd = Memfd.create("guest-ram", SIZE, false);
                Mapping memory = Mapping.shared(memfd, SIZE);
                UnixServer server = UnixSocket.listen(socketPath)) {
            memory.pointer().put(0, pattern, 0, SIZE);
            Process child = startReceiver(socketPath, childLog);
            try (UnixSocket connection = server.accept()) {
                connection.send(new byte[] {'M'}, memfd);

                byte[] childDigest = new byte[32];
                connection.readFully(childDigest, 0, childDigest.length);

                assertThat(childDigest).isEqualTo(MessageDigest.getInstance("SHA-256").digest(pattern));
                assertThat(child.waitFor(10, TimeUnit.SECONDS)).as("receiver exits").isTrue();
                assertThat(child.exitValue()).as(() -> readLog(childLog)).isZero();
                byte[] marker = new byte[MemfdReceiverMain.MARKER.length];
                memory.pointer().get(MemfdReceiverMain.MARKER_OFFSET, marker, 0, marker.length);
                assertThat(marker).isEqualTo(MemfdReceiverMain.MARKER);
            } finally {
                child.destroyForcibly();
            }
        }
    }

    private static Process startReceiver(Path socketPath, Path log) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                MemfdReceiverMain.class.getName(), socketPath.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    /** Varies within and across pages, so a misplaced or stale page changes the digest. */
    private static byte[] pattern() {
        byte[] bytes = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 12));
        }
        return bytes;
    }

    private static String readLog(Path log) {
        try {
            return "receiver output:\n" + Files.readString(log);
        } catch (java.io.IOException e) {
            return "receiver output unreadable: " + e;
        }
    }
}
