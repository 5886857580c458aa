package dev.hyperfresh.vmm.devices;

import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.heartbeat.GuestLineParser;
import java.util.function.Consumer;

/**
 * Port 0xe9, the debug console (QEMU's isa-debugcon): collects bytes into lines and hands each decoded line on.
 * hfguest writes each line with one {@code rep outsb}, but KVM may hand that over in pieces and a pause may fall
 * between them, so the unfinished line is device state: it moves with the VM and the line ends whole elsewhere.
 */
public final class DebugConsole implements PortDevice, StatefulDevice {
    public static final int PORT = 0xe9;
    public static final String STATE_NAME = "debugcon";
    static final int STATE_MAGIC = 0x44434f4e; // "DCON"
    private final LineSplitter lines;
    private final PendingLine state;

    public DebugConsole(Consumer<GuestLine> sink) {
        this.lines = new LineSplitter(line -> sink.accept(GuestLineParser.parse(line)));
        this.state = new PendingLine(lines, "DebugConsole", STATE_MAGIC);
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

    @Override
    public byte[] saveState() {
        return state.saveState();
    }

    @Override
    public void restoreState(byte[] saved) {
        state.restoreState(saved);
    }
}
