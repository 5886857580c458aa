package dev.hyperfresh.vmm.devices.pci;

/**
 * A type-0 PCI configuration header and what follows it, as bytes with a mask of the bits the guest may write. A
 * memory BAR is written like any register: its mask holds only the address bits its size allows, so writing all
 * ones reads back the size, as firmware and Linux probe it.
 */
public final class ConfigSpace {
    public static final int SIZE = 256;
    static final int VENDOR = 0x00, DEVICE = 0x02, COMMAND = 0x04, STATUS = 0x06, REVISION = 0x08, CLASS_PROG = 0x09;
    static final int HEADER_TYPE = 0x0e, BAR0 = 0x10, SUBSYSTEM_VENDOR = 0x2c, SUBSYSTEM = 0x2e;
    static final int CAPABILITIES = 0x34, INTERRUPT_LINE = 0x3c, INTERRUPT_PIN = 0x3d;
    public static final int COMMAND_MEMORY = 0x2, COMMAND_BUS_MASTER = 0x4, COMMAND_INTX_DISABLE = 0x400;
    static final int STATUS_CAPABILITIES = 0x10;
    private final byte[] bytes = new byte[SIZE];
    private final byte[] writable = new byte[SIZE];

    /** A function's identity: vendor, device, revision and class code (base class, subclass, interface). */
    public ConfigSpace(int vendor, int device, int revision, int classCode) {
        put(VENDOR, 2, vendor);
        put(DEVICE, 2, device);
        put(REVISION, 1, revision);
        put(CLASS_PROG, 3, classCode);
        put(HEADER_TYPE, 1, 0);
    }

    /** Sets read-only bytes (identity, capabilities); the guest's writes do not change them. */
    public ConfigSpace put(int offset, int size, long value) {
        for (int i = 0; i < size; i++) {
            bytes[offset + i] = (byte) (value >>> (8 * i));
        }
        return this;
    }

    /** Lets the guest write the bits of {@code mask} at {@code offset}. */
    public ConfigSpace writable(int offset, int size, long mask) {
        for (int i = 0; i < size; i++) {
            writable[offset + i] = (byte) (mask >>> (8 * i));
        }
        return this;
    }

    /** The command register's memory, bus-master and INTx-disable bits, and the interrupt line, guest-written. */
    public ConfigSpace withCommandAndInterrupt(int pin, int line) {
        writable(COMMAND, 2, COMMAND_MEMORY | COMMAND_BUS_MASTER | COMMAND_INTX_DISABLE);
        put(INTERRUPT_PIN, 1, pin);
        put(INTERRUPT_LINE, 1, line);
        writable(INTERRUPT_LINE, 1, 0xff);
        return this;
    }

    /** A 32-bit memory BAR of {@code size} bytes (a power of two ≥ 16) placed at {@code address}. */
    public ConfigSpace withMemoryBar(int bar, int size, long address) {
        if (Integer.bitCount(size) != 1 || size < 16 || address % size != 0) {
            throw new IllegalArgumentException("BAR of " + size + " bytes at 0x" + Long.toHexString(address));
        }
        put(BAR0 + 4 * bar, 4, address);
        writable(BAR0 + 4 * bar, 4, ~(size - 1L) & 0xffffffffL);
        return this;
    }

    /** The subsystem vendor and id (0x2c). */
    public ConfigSpace withSubsystem(int vendor, int id) {
        return put(SUBSYSTEM_VENDOR, 2, vendor).put(SUBSYSTEM, 2, id);
    }

    /** The capability list's head (0x34), and the status bit that says there is one. */
    public ConfigSpace withCapabilities(int first) {
        put(CAPABILITIES, 1, first);
        return put(STATUS, 2, STATUS_CAPABILITIES);
    }

    public int read(int offset, int size) {
        int v = 0;
        for (int i = 0; i < size && offset + i < SIZE; i++) {
            v |= (bytes[offset + i] & 0xff) << (8 * i);
        }
        return v;
    }

    public void write(int offset, int size, int value) {
        for (int i = 0; i < size && offset + i < SIZE; i++) {
            int at = offset + i;
            int mask = writable[at] & 0xff;
            bytes[at] = (byte) ((bytes[at] & ~mask) | ((value >>> (8 * i)) & mask));
        }
    }

    public int command() {
        return read(COMMAND, 2);
    }

    /** Where memory BAR {@code bar} sits now. */
    public long memoryBar(int bar) {
        return read(BAR0 + 4 * bar, 4) & 0xfffffff0L;
    }

    /** The bytes, for a device's saved state. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** Takes over saved bytes; the writable mask is this build's, so read-only fields keep what this build says. */
    public void restore(byte[] saved) {
        if (saved.length != SIZE) {
            throw new IllegalArgumentException("PCI configuration space of " + saved.length + " bytes, not " + SIZE);
        }
        for (int i = 0; i < SIZE; i++) {
            int mask = writable[i] & 0xff;
            bytes[i] = (byte) ((bytes[i] & ~mask) | (saved[i] & mask));
        }
    }
}
