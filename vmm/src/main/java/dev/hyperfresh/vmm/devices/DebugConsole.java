package dev.hyperfresh.vmm.devices;

import dev.hyperfresh.vmm.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The guest's console: port 0xe9 takes bytes (QEMU's isa-debugcon), port 0xeb whole lines from guest RAM (the line
 * console, hfvisor(1): one exit per record instead of one per byte). Both feed one line splitter, so the
 * two can be mixed and there is one unfinished line. hfguest writes each line with one {@code rep outsb}, but KVM
 * may hand that over in pieces and a pause may fall between them, so the unfinished line is device state: it moves
 * with the VM and the line ends whole elsewhere.
 */
public final class DebugConsole implements PortDevice, StatefulDevice {
    public static final int PORT = 0xe9;
    /** The line console: {@code inl} answers {@link #LINE_MAGIC}, {@code outl} hands over a record's address. */
    public static final int LINE_PORT = 0xeb;
    /** "HFLN" as a little-endian u32. */
    public static final int LINE_MAGIC = 0x4e4c4648;
    /** The most text one record may carry. */
    public static final int MAX_RECORD = 4096;
    public static final String STATE_NAME = "debugcon";
    static final int STATE_MAGIC = 0x44434f4e; // "DCON"
    private static final long BELOW_4G = 0xffffffffL;
    private final LineSplitter lines;
    private final PendingLine state;
    private final GuestMemory ram;
    private final Consumer<String> firstBadRecord;
    private final AtomicLong badRecords = new AtomicLong();

    /**
     * @param sink           each whole line, as text (from the vCPU thread that wrote its end)
     * @param ram            the guest RAM line records are read from
     * @param firstBadRecord told once, of the first record that had to be dropped (the guest is not stopped)
     */
    public DebugConsole(Consumer<String> sink, GuestMemory ram, Consumer<String> firstBadRecord) {
        this.lines = new LineSplitter(sink);
        this.state = new PendingLine(lines, "DebugConsole", STATE_MAGIC);
        this.ram = ram;
        this.firstBadRecord = firstBadRecord;
    }

    @Override
    public int read(int port, int size) {
        if (port != LINE_PORT) {
            return PORT;
        }
        // the line console answers 32-bit reads only; anything else reads as an unassigned port (absent)
        return size == 4 ? LINE_MAGIC : (int) ((1L << (size * 8)) - 1);
    }

    @Override
    public void write(int port, int size, int value) {
        if (port == LINE_PORT) {
            record(size, value & BELOW_4G);
        } else {
            writeString(port, new byte[] {(byte) value});
        }
    }

    @Override
    public void writeString(int port, byte[] data) {
        if (port == LINE_PORT) {
            dropped("a byte-string write; the line console takes 32-bit writes of a record's address");
        } else {
            lines.accept(data);
        }
    }

    /** Reads the record (u32 length, then that many bytes of text) at guest-physical {@code gpa} in one piece. */
    private void record(int size, long gpa) {
        if (size != 4) {
            dropped("a " + size + "-byte write; the line console takes 32-bit writes only");
            return;
        }
        if ((gpa & 3) != 0) {
            dropped(String.format("record address 0x%x is not 4-byte aligned", gpa));
            return;
        }
        try {
            int length = ByteBuffer.wrap(ram.read(gpa, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (length < 1 || length > MAX_RECORD) {
                dropped(String.format("record at 0x%x has length %d, not 1..%d", gpa, length, MAX_RECORD));
                return;
            }
            lines.accept(ram.read(gpa + 4, length));
        } catch (IllegalArgumentException notRam) {
            dropped(String.format("record at 0x%x is not in guest RAM (%s)", gpa, notRam.getMessage()));
        }
    }

    private void dropped(String why) {
        if (badRecords.getAndIncrement() == 0) {
            firstBadRecord.accept(why);
        }
    }

    /** Line-console records dropped because they could not be read. */
    public long badRecords() {
        return badRecords.get();
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
