package dev.hyperfresh.vmm.devices;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Turns a guest's output bytes into text lines: splits at '\n', drops '\r' (Linux's console writes CRLF) and
 * blank lines, and cuts a line that never ends at {@link #MAX_LINE} bytes so a babbling guest cannot grow it.
 */
public final class LineSplitter implements Consumer<byte[]> {
    public static final int MAX_LINE = 4096;

    private final Consumer<String> lines;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    public LineSplitter(Consumer<String> lines) {
        this.lines = lines;
    }

    @Override
    public synchronized void accept(byte[] data) {
        for (byte b : data) {
            if (b == '\n' || partial.size() >= MAX_LINE) {
                String line = partial.toString(StandardCharsets.ISO_8859_1);
                partial.reset();
                if (!line.isBlank()) {
                    lines.accept(line);
                }
            } else if (b != '\r') {
                partial.write(b);
            }
        }
    }

    /** The bytes of the line not yet ended: a line the guest was writing when its vCPU stopped. */
    public synchronized byte[] pending() {
        return partial.toByteArray();
    }

    /** Continues a line begun elsewhere (in the instance this VM came from). */
    public synchronized void resume(byte[] pending) {
        if (pending.length > MAX_LINE) {
            throw new IllegalArgumentException("a pending line of " + pending.length + " bytes exceeds " + MAX_LINE);
        }
        partial.reset();
        partial.writeBytes(pending);
    }
}
