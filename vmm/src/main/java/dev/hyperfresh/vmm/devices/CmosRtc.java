package dev.hyperfresh.vmm.devices;

import java.time.Clock;
import java.time.ZonedDateTime;

/**
 * The CMOS RAM and real-time clock at 0x70 (index) / 0x71 (data). The clock reads the host's time (UTC) in the
 * format status register B asks for; it never reports an update in progress, so Linux, which spins while
 * that bit is set, reads it at once. Writes to the time registers are ignored: the guest's clock follows the
 * host's. Everything else is plain CMOS RAM (Linux writes the warm-reset code at 0x0f when it starts APs). Its
 * saved state is that RAM and the selected index; the time is the host's, on both sides of a handover.
 */
public final class CmosRtc implements PortDevice, StatefulDevice {
    public static final int INDEX_PORT = 0x70;
    public static final int DATA_PORT = 0x71;
    static final int SECONDS = 0x00, MINUTES = 0x02, HOURS = 0x04, WEEKDAY = 0x06, DAY = 0x07, MONTH = 0x08;
    static final int YEAR = 0x09, STATUS_A = 0x0a, STATUS_B = 0x0b, STATUS_C = 0x0c, STATUS_D = 0x0d;
    static final int CENTURY = 0x32;
    /** 32.768 kHz time base, 1024 Hz periodic rate, update-in-progress clear. */
    static final int STATUS_A_VALUE = 0x26;
    static final int B_24_HOUR = 0x02, B_BINARY = 0x04;
    /** Valid RAM and time: the battery is fine. */
    static final int STATUS_D_VALUE = 0x80;
    static final int STATE_MAGIC = 0x434d4f53; // "CMOS"
    static final int STATE_VERSION = 1;
    private static final int HOUR_PM = 0x80;
    private static final int INDEX_MASK = 0x7f;

    private final Clock clock;
    private final byte[] ram = new byte[128];
    private int index;

    public CmosRtc() {
        this(Clock.systemUTC());
    }

    public CmosRtc(Clock clock) {
        this.clock = clock;
        ram[STATUS_B] = B_24_HOUR;
    }

    @Override
    public synchronized int read(int port, int size) {
        if (port == INDEX_PORT) {
            return 0xff; // write-only on a PC
        }
        ZonedDateTime now = ZonedDateTime.now(clock);
        return switch (index) {
            case SECONDS -> encode(now.getSecond());
            case MINUTES -> encode(now.getMinute());
            case HOURS -> hours(now.getHour());
            case WEEKDAY -> encode(now.getDayOfWeek().getValue() % 7 + 1);
            case DAY -> encode(now.getDayOfMonth());
            case MONTH -> encode(now.getMonthValue());
            case YEAR -> encode(now.getYear() % 100);
            case CENTURY -> encode(now.getYear() / 100);
            case STATUS_A -> STATUS_A_VALUE;
            case STATUS_C -> 0;
            case STATUS_D -> STATUS_D_VALUE;
            default -> ram[index] & 0xff;
        };
    }

    @Override
    public synchronized void write(int port, int size, int value) {
        if (port == INDEX_PORT) {
            index = value & INDEX_MASK; // bit 7 masks NMI on a PC; KVM delivers NMIs regardless
            return;
        }
        switch (index) {
            case SECONDS, MINUTES, HOURS, WEEKDAY, DAY, MONTH, YEAR, CENTURY, STATUS_A, STATUS_C, STATUS_D -> {
                // the clock follows the host; A, C and D are status the device owns
            }
            default -> ram[index] = (byte) value;
        }
    }

    private int hours(int hour) {
        if ((ram[STATUS_B] & B_24_HOUR) != 0) {
            return encode(hour);
        }
        int twelve = hour % 12 == 0 ? 12 : hour % 12;
        return encode(twelve) | (hour >= 12 ? HOUR_PM : 0);
    }

    private int encode(int value) {
        return (ram[STATUS_B] & B_BINARY) != 0 ? value : (value / 10) << 4 | value % 10;
    }

    @Override
    public synchronized byte[] saveState() {
        return DeviceState.save(STATE_MAGIC, STATE_VERSION, out -> {
            out.writeByte(index);
            out.write(ram);
        });
    }

    @Override
    public synchronized void restoreState(byte[] state) {
        DeviceState.restore(state, "CmosRtc", STATE_MAGIC, STATE_VERSION, in -> {
            int newIndex = in.readUnsignedByte() & INDEX_MASK;
            byte[] newRam = new byte[ram.length];
            in.readFully(newRam);
            return () -> {
                index = newIndex;
                System.arraycopy(newRam, 0, ram, 0, ram.length);
            };
        });
    }
}
