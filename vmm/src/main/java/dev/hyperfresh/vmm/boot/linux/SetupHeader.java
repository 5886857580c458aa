package dev.hyperfresh.vmm.boot.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The setup header of a bzImage (Linux Documentation/arch/x86/boot.rst): the fields a loader using the 64-bit
 * entry point needs, and the raw header bytes, which the loader copies into the zero page.
 */
public final class SetupHeader {
    public static final int OFFSET = 0x1f1;
    /** The header is parsed from this many leading bytes of the image; it always ends before this. */
    public static final int PARSE_BYTES = 0x290;
    /** 2.12 added XLF_KERNEL_64 and the xloadflags that announce the 64-bit entry. */
    public static final int MIN_PROTOCOL = 0x020c;
    static final int XLF_KERNEL_64 = 1;
    static final int LOADED_HIGH = 1;
    private static final int MAGIC = 0x53726448; // "HdrS"
    private static final int BOOT_FLAG = 0xaa55;
    private static final int DEFAULT_SETUP_SECTS = 4;

    private final byte[] raw;
    private final ByteBuffer le;

    private SetupHeader(byte[] raw) {
        this.raw = raw;
        this.le = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Parses the first {@link #PARSE_BYTES} (or fewer, if the file is that short) bytes of an image named
     * {@code name}; throws {@link LinuxBootException} unless it is a bzImage this loader can start in 64-bit mode.
     */
    public static SetupHeader parse(String name, byte[] start) {
        if (start.length < PARSE_BYTES) {
            throw new LinuxBootException(name + " is not a bzImage: only " + start.length + " bytes long");
        }
        SetupHeader h = new SetupHeader(Arrays.copyOf(start, PARSE_BYTES));
        if (h.le.getInt(0x202) != MAGIC || h.u16(0x1fe) != BOOT_FLAG) {
            throw new LinuxBootException(name + " is not a bzImage: no \"HdrS\" setup header at 0x202");
        }
        if (h.protocol() < MIN_PROTOCOL) {
            throw new LinuxBootException(String.format("%s uses boot protocol %d.%02d; the 64-bit entry needs 2.12 or "
                    + "later (Linux 3.8+)", name, h.protocol() >> 8, h.protocol() & 0xff));
        }
        if ((h.xloadFlags() & XLF_KERNEL_64) == 0) {
            throw new LinuxBootException(name + " has no 64-bit entry point (XLF_KERNEL_64 is clear): not an x86-64 "
                    + "kernel");
        }
        if ((h.loadFlags() & LOADED_HIGH) == 0) {
            throw new LinuxBootException(name + " is a zImage (loads below 1 MiB), not a bzImage");
        }
        if (h.end() > PARSE_BYTES) {
            throw new LinuxBootException(String.format("%s: setup header claims to end at 0x%x, past the zero page's "
                    + "header space (0x%x)", name, h.end(), PARSE_BYTES));
        }
        return h;
    }

    /** Where the header ends: the byte at 0x201 is the jump offset from 0x202, which skips exactly the header. */
    public int end() {
        return 0x202 + (raw[0x201] & 0xff);
    }

    /** The header as found in the image, from {@link #OFFSET} to {@link #end()}. */
    public byte[] bytes() {
        return Arrays.copyOfRange(raw, OFFSET, end());
    }

    public int protocol() {
        return u16(0x206);
    }

    public int loadFlags() {
        return raw[0x211] & 0xff;
    }

    public int xloadFlags() {
        return u16(0x236);
    }

    /** Where the protected-mode kernel starts in the file: after the boot sector and the real-mode setup. */
    public long protectedModeOffset() {
        int sects = raw[OFFSET] & 0xff;
        return (long) ((sects == 0 ? DEFAULT_SETUP_SECTS : sects) + 1) * 512;
    }

    /** Highest address the initrd may occupy (inclusive). */
    public long initrdAddrMax() {
        return Integer.toUnsignedLong(le.getInt(0x22c));
    }

    /** Longest command line, without the terminating NUL. */
    public long cmdlineSize() {
        return Integer.toUnsignedLong(le.getInt(0x238));
    }

    /** Where the kernel prefers to run (its LOAD_PHYSICAL_ADDR); it decompresses itself there or higher. */
    public long prefAddress() {
        return le.getLong(0x258);
    }

    /** Memory the kernel needs from where it decompresses to, until it has set up its own memory map. */
    public long initSize() {
        return Integer.toUnsignedLong(le.getInt(0x260));
    }

    private int u16(int offset) {
        return le.getShort(offset) & 0xffff;
    }
}
