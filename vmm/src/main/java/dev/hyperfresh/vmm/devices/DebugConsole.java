package dev.hyperfresh.vmm.devices;

import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.heartbeat.GuestLineParser;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Port 0xe9, the debug console (QEMU's isa-debugcon): collects bytes into lines and hands each decoded line on.
 * hfguest writes each line with one {@code rep outsb}, so a line normally arrives in one piece.
 */
public final class DebugConsole implements PortDevice {
    public static final int PORT = 0xe9;
    private static final int MAX_LINE = 4096;

    private final Consumer<GuestLine> sink;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    public DebugConsole(Consumer<GuestLine> sink) {
        this.sink = sink;
    }

    @Override
    public int read(int port, int size) {
        return PORT;
    }

    @Override
    public void write(int port, int size, int value) {
        writeString(port, new byte[] {(byte) value});
    }

    @Override
    public synchronized void writeString(int port, byte[] data) {
        for (byte b : data) {
            if (b == '\n' || partial.size() >= MAX_LINE) {
                String line = partial.toString(StandardCharsets.US_ASCII);
                partial.reset();
                if (!line.isBlank()) {
                    sink.accept(GuestLineParser.parse(line));
                }
            } else {
                partial.write(b);
            }
        }
    }
}
