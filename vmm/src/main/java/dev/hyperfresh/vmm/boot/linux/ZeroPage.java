package dev.hyperfresh.vmm.boot.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The zero page (struct boot_params, Documentation/arch/x86/zero-page.rst): the kernel's setup header plus what
 * the loader fills in — where the command line and initrd are, who loaded it, and the e820 memory map.
 */
public final class ZeroPage {
    public static final int SIZE = 4096;
    static final int E820_ENTRIES = 0x1e8;
    static final int E820_TABLE = 0x2d0;
    static final int MAX_E820_ENTRIES = 128;
    static final int TYPE_OF_LOADER = 0x210;
    static final int RAMDISK_IMAGE = 0x218;
    static final int RAMDISK_SIZE = 0x21c;
    static final int CMD_LINE_PTR = 0x228;
    /** "Undefined" loader: we have no ID assigned in boot.rst. */
    static final int LOADER_UNDEFINED = 0xff;

    private ZeroPage() {
    }

    /** Addresses must lie below 4 GiB: the 32-bit fields are enough because the loader puts everything low. */
    public static byte[] build(SetupHeader header, long cmdlineAddress, long initrdAddress, long initrdSize,
                               List<E820Entry> e820) {
        if (e820.size() > MAX_E820_ENTRIES) {
            throw new IllegalArgumentException(e820.size() + " e820 entries; the zero page holds " + MAX_E820_ENTRIES);
        }
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(SetupHeader.OFFSET, header.bytes());
        b.put(TYPE_OF_LOADER, (byte) LOADER_UNDEFINED);
        b.putInt(CMD_LINE_PTR, low32(cmdlineAddress, "command line"));
        b.putInt(RAMDISK_IMAGE, low32(initrdAddress, "initrd"));
        b.putInt(RAMDISK_SIZE, low32(initrdSize, "initrd size"));
        b.put(E820_ENTRIES, (byte) e820.size());
        int at = E820_TABLE;
        for (E820Entry e : e820) {
            b.putLong(at, e.address()).putLong(at + 8, e.size()).putInt(at + 16, e.type());
            at += E820Entry.BYTES;
        }
        return b.array();
    }

    private static int low32(long value, String what) {
        if (value < 0 || value > 0xffffffffL) {
            throw new IllegalArgumentException(String.format("%s 0x%x does not fit the zero page's 32 bits", what, value));
        }
        return (int) value;
    }
}
