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
    static final int STATE_VERSION = 1;
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

    @Override
    public byte[] saveState() {
        byte[] pending = lines.pending();
        return DeviceState.save(STATE_MAGIC, STATE_VERSION, out -> {
            out.writeShort(pending.length);
            out.write(pending);
        });
    }

    @Override
    public void restoreState(byte[] state) {
        DeviceState.restore(state, "DebugConsole", STATE_MAGIC, STATE_VERSION, in -> {
            byte[] pending = new byte[in.readUnsignedShort()];
            in.readFully(pending);
            return () -> lines.resume(pending);
        });
    }
}
