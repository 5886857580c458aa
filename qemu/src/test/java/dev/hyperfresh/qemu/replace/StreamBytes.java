package dev.hyperfresh.qemu.replace;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/** Migration streams for the tests, written from QEMU's format independently of {@link StreamEnd}. */
final class StreamBytes {
    static final byte[] DESCRIPTION = "{\"page_size\": 4096, \"devices\": [{\"name\": \"timer\"}]}"
            .getBytes(StandardCharsets.US_ASCII);

    private StreamBytes() {
    }

    /** QEMU's end of a precopy stream: QEMU_VM_EOF, QEMU_VM_VMDESCRIPTION, be32 length, the JSON. */
    static byte[] end(byte[] json) {
        return concat(ByteBuffer.allocate(6).put((byte) 0).put((byte) 0x06).putInt(json.length).array(), json);
    }

    /** Random device and RAM bytes, without the marker (a look-alike is let go only once more than it follows). */
    static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        for (int i = 0; i < n; i++) {
            if (b[i] == 0) {
                b[i] = 1;
            }
        }
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
