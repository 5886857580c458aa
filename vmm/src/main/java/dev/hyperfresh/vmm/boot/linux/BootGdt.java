package dev.hyperfresh.vmm.boot.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The GDT the 64-bit boot protocol asks for: flat 64-bit code at __BOOT_CS (0x10) and flat data at __BOOT_DS
 * (0x18). The kernel loads its own GDT before it needs anything else.
 */
public final class BootGdt {
    public static final int CODE_SELECTOR = 0x10;
    public static final int DATA_SELECTOR = 0x18;
    static final long CODE64 = 0x00af9b000000ffffL; // present, DPL 0, execute/read, L=1, G=1
    static final long DATA = 0x00cf93000000ffffL;   // present, DPL 0, read/write, D/B=1, G=1
    private static final int ENTRIES = 4;
    public static final int SIZE = ENTRIES * 8;

    private BootGdt() {
    }

    public static byte[] build() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(CODE_SELECTOR, CODE64);
        b.putLong(DATA_SELECTOR, DATA);
        return b.array();
    }
}
