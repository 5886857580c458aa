package dev.hyperfresh.vmm.devices;

import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.heartbeat.GuestLineParser;
import java.util.function.Consumer;

/**
 * Port 0xe9, the debug console (QEMU's isa-debugcon): collects bytes into lines and hands each decoded line on.
 * hfguest writes each line with one {@code rep outsb}, so a line normally arrives in one piece.
 */
public final class DebugConsole implements PortDevice {
    public static final int PORT = 0xe9;
    private final LineSplitter lines;

    public DebugConsole(Consumer<GuestLine> sink) {
        this.lines = new LineSplitter(line -> sink.accept(GuestLineParser.parse(line)));
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
    public void writeString(int port, byte[] data) {
        lines.accept(data);
    }
}
