package dev.hyperfresh.vmm.devices;

/**
 * ACPI's fixed power-management hardware as the FADT describes it ({@code boot.linux.AcpiTables}): the PM1 event
 * block (status, then enable, 16 bits each) and the PM1 control block, in I/O space, and the SCI, the interrupt
 * raised while an enabled status bit is set. Two things happen here: the operator presses the power button
 * ({@link #pressPowerButton}), which a guest that enabled it hears as an SCI and answers by shutting down; and the
 * guest enters sleep state S5 (writes SLP_EN with the {@code \_S5_} type), which is its power going off.
 */
public final class AcpiPm implements PortDevice, StatefulDevice {
    public static final int EVENT_BLOCK = 0x600, EVENT_BLOCK_BYTES = 4;
    public static final int CONTROL_BLOCK = 0x604, CONTROL_BLOCK_BYTES = 2;
    public static final int PORTS = EVENT_BLOCK_BYTES + CONTROL_BLOCK_BYTES;
    public static final int SCI_IRQ = 9;
    /** The sleep type the DSDT's {@code \_S5_} names (any value the two agree on). */
    public static final int SLP_TYP_S5 = 5;
    static final int PWRBTN = 1 << 8;
    /** The only status bit this machine sets; enable bits are kept as written (ACPICA checks them by reading back). */
    static final int EVENTS = PWRBTN;
    static final int SCI_EN = 1, SLP_TYP_SHIFT = 10, SLP_TYP_MASK = 7 << SLP_TYP_SHIFT, SLP_EN = 1 << 13;
    static final int STATE_MAGIC = 0x4143504d; // "ACPM"
    static final int STATE_VERSION = 1;
    private static final int STATUS = 0, ENABLE = 2, CONTROL = 4;

    private final InterruptOutput sci;
    private final Runnable powerOff;
    private int status;
    private int enable;
    private int control = SCI_EN;

    /** @param powerOff run (outside this device's lock) when the guest enters S5 */
    public AcpiPm(InterruptLine sci, Runnable powerOff) {
        this.sci = new InterruptOutput(sci);
        this.powerOff = powerOff;
    }

    /** Presses the power button: its status bit is set, and the SCI raised if the guest enabled the event. */
    public synchronized void pressPowerButton() {
        status |= PWRBTN;
        updateSci();
    }

    /** Whether the guest's ACPI driver enabled the power button event, i.e. a press reaches it. */
    public synchronized boolean listensToPowerButton() {
        return (enable & PWRBTN) != 0;
    }

    @Override
    public synchronized int read(int port, int size) {
        int value = 0;
        for (int i = 0; i < size; i++) {
            value |= byteAt(port - EVENT_BLOCK + i) << (8 * i);
        }
        return value;
    }

    private int byteAt(int offset) {
        return switch (offset) {
            case STATUS, STATUS + 1 -> status >> (8 * (offset - STATUS));
            case ENABLE, ENABLE + 1 -> enable >> (8 * (offset - ENABLE));
            case CONTROL, CONTROL + 1 -> control >> (8 * (offset - CONTROL));
            default -> 0xff;
        } & 0xff;
    }

    /** Accesses of any width and alignment: each register takes the bytes of it that the write covers. */
    @Override
    public void write(int port, int size, int value) {
        boolean off;
        synchronized (this) {
            int offset = port - EVENT_BLOCK;
            status &= ~part(offset, size, value, STATUS);   // write 1 to clear
            enable = merge(enable, offset, size, value, ENABLE);
            int newControl = merge(control, offset, size, value, CONTROL);
            off = (newControl & SLP_EN) != 0 && (newControl & SLP_TYP_MASK) >> SLP_TYP_SHIFT == SLP_TYP_S5;
            control = (newControl & ~SLP_EN) | SCI_EN;   // SLP_EN is write-only; ACPI mode cannot be left
            updateSci();
        }
        if (off) {
            powerOff.run();
        }
    }

    /** The bits of the 16-bit register at {@code register} that a write of {@code size} bytes at {@code offset} sets. */
    private static int part(int offset, int size, int value, int register) {
        int bits = 0;
        for (int i = 0; i < 2; i++) {
            int at = register + i - offset;
            if (at >= 0 && at < size) {
                bits |= ((value >>> (8 * at)) & 0xff) << (8 * i);
            }
        }
        return bits;
    }

    private static int merge(int old, int offset, int size, int value, int register) {
        int covered = part(offset, size, 0xffffffff, register);
        return (old & ~covered) | part(offset, size, value, register);
    }

    private void updateSci() {
        sci.set((status & enable & EVENTS) != 0);
    }

    @Override
    public synchronized byte[] saveState() {
        return DeviceState.save(STATE_MAGIC, STATE_VERSION, out -> {
            out.writeShort(status);
            out.writeShort(enable);
            out.writeShort(control);
            out.writeBoolean(sci.high());
        });
    }

    /** Takes over a saved state with its SCI level, which the moved irqchip state already reflects. */
    @Override
    public synchronized void restoreState(byte[] state) {
        DeviceState.restore(state, "power management (ACPI)", STATE_MAGIC, STATE_VERSION, in -> {
            int newStatus = in.readUnsignedShort();
            int newEnable = in.readUnsignedShort();
            int newControl = in.readUnsignedShort();
            boolean high = in.readBoolean();
            return () -> {
                status = newStatus & EVENTS;
                enable = newEnable;
                control = (newControl & ~SLP_EN) | SCI_EN;
                sci.assume(high);
            };
        });
    }
}
