package dev.hyperfresh.vmm.boot.linux;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few ACPI Machine Language terms hfvisor's DSDT is made of (ACPI 6.x, chapter 20), each as its bytes: named
 * objects, devices in a scope, packages, integers, EISA ids and resource templates. Enough to describe, not to run:
 * no methods, no operators.
 */
final class Aml {
    private static final int NAME_OP = 0x08, SCOPE_OP = 0x10, BUFFER_OP = 0x11, PACKAGE_OP = 0x12;
    private static final int EXT_OP_PREFIX = 0x5b, DEVICE_OP = 0x82, ROOT_CHAR = 0x5c;
    private static final int ZERO_OP = 0x00, ONE_OP = 0x01, BYTE_PREFIX = 0x0a, WORD_PREFIX = 0x0b;
    private static final int DWORD_PREFIX = 0x0c, QWORD_PREFIX = 0x0e;
    /** Resource descriptors: an I/O port range, word and dword address spaces, and the end tag. */
    private static final int IO_PORT = 0x47, WORD_SPACE = 0x88, DWORD_SPACE = 0x87, END_TAG = 0x79;
    static final int SPACE_MEMORY = 0, SPACE_IO = 1, SPACE_BUS = 2;
    /** General flags of a bridge's window: it produces the range; its minimum and maximum are fixed. */
    private static final int PRODUCER_FIXED = 0x0c;
    /** Type-specific flags: an I/O window for ISA and non-ISA ports; a memory window read-write, not cacheable. */
    private static final int IO_ENTIRE_RANGE = 0x03, MEMORY_READ_WRITE = 0x01;

    private Aml() {
    }

    /** {@code Name (NAME, value)}; {@code name} four characters. */
    static byte[] name(String name, byte[] value) {
        return concat(new byte[] {NAME_OP}, nameSeg(name), value);
    }

    /** {@code Scope (\PATH) { terms }}, a one-segment path from the root such as {@code _SB_}. */
    static byte[] scope(String rootSegment, byte[]... terms) {
        byte[] body = concat(new byte[] {ROOT_CHAR}, nameSeg(rootSegment), concat(terms));
        return concat(new byte[] {SCOPE_OP}, pkgLength(body.length), body);
    }

    /** {@code Device (NAME) { terms }}. */
    static byte[] device(String name, byte[]... terms) {
        byte[] body = concat(nameSeg(name), concat(terms));
        return concat(new byte[] {EXT_OP_PREFIX, (byte) DEVICE_OP}, pkgLength(body.length), body);
    }

    /** {@code Package () { elements }}. */
    static byte[] pkg(byte[]... elements) {
        if (elements.length > 255) {
            throw new IllegalArgumentException("a Package holds at most 255 elements here, not " + elements.length);
        }
        byte[] body = concat(new byte[] {(byte) elements.length}, concat(elements));
        return concat(new byte[] {PACKAGE_OP}, pkgLength(body.length), body);
    }

    /** An integer in the shortest encoding that holds it. */
    static byte[] integer(long value) {
        if (value == 0) {
            return new byte[] {ZERO_OP};
        }
        if (value == 1) {
            return new byte[] {ONE_OP};
        }
        if (value >= 0 && value <= 0xff) {
            return new byte[] {BYTE_PREFIX, (byte) value};
        }
        if (value >= 0 && value <= 0xffff) {
            return concat(new byte[] {WORD_PREFIX}, le(value, 2));
        }
        if (value >= 0 && value <= 0xffff_ffffL) {
            return concat(new byte[] {DWORD_PREFIX}, le(value, 4));
        }
        return concat(new byte[] {QWORD_PREFIX}, le(value, 8));
    }

    /** {@code EisaId ("PNP0A03")}: three letters of five bits each, then four hex digits, as a big-endian dword. */
    static byte[] eisaId(String id) {
        int letters = (id.charAt(0) - '@') << 10 | (id.charAt(1) - '@') << 5 | (id.charAt(2) - '@');
        int product = Integer.parseInt(id.substring(3), 16);
        long value = Integer.reverseBytes(letters << 16 | product) & 0xffff_ffffL;
        return concat(new byte[] {DWORD_PREFIX}, le(value, 4));
    }

    /** {@code ResourceTemplate () { descriptors }}: a buffer of the descriptors and their end tag. */
    static byte[] resourceTemplate(byte[]... descriptors) {
        byte[] data = concat(concat(descriptors), new byte[] {END_TAG, 0});   // checksum 0: "the sum is right"
        byte[] body = concat(integer(data.length), data);
        return concat(new byte[] {BUFFER_OP}, pkgLength(body.length), body);
    }

    /** {@code IO (Decode16, min, max, alignment, length)}: ports a device decodes itself. */
    static byte[] ioPorts(int min, int max, int alignment, int length) {
        return concat(new byte[] {IO_PORT, 1}, le(min, 2), le(max, 2), new byte[] {(byte) alignment, (byte) length});
    }

    /** {@code WordBusNumber}/{@code WordIO}: a window a bridge produces, {@code space} buses or I/O ports. */
    static byte[] wordWindow(int space, int min, int max) {
        byte[] fields = concat(new byte[] {(byte) space, PRODUCER_FIXED, (byte) (space == SPACE_IO ? IO_ENTIRE_RANGE
                : 0)}, le(0, 2), le(min, 2), le(max, 2), le(0, 2), le(max - min + 1, 2));
        return concat(new byte[] {(byte) WORD_SPACE}, le(fields.length, 2), fields);
    }

    /** {@code DWordMemory}: a memory window a bridge produces. */
    static byte[] dwordMemoryWindow(long min, long max) {
        byte[] fields = concat(new byte[] {SPACE_MEMORY, PRODUCER_FIXED, MEMORY_READ_WRITE}, le(0, 4), le(min, 4),
                le(max, 4), le(0, 4), le(max - min + 1, 4));
        return concat(new byte[] {(byte) DWORD_SPACE}, le(fields.length, 2), fields);
    }

    /**
     * A PkgLength for {@code bodyBytes} that follow it: one byte up to 63 in all, else a lead byte holding the low
     * nibble and the count of bytes after it, each eight bits more.
     */
    static byte[] pkgLength(int bodyBytes) {
        if (bodyBytes + 1 <= 0x3f) {
            return new byte[] {(byte) (bodyBytes + 1)};
        }
        for (int extra = 1; extra <= 3; extra++) {
            int total = bodyBytes + 1 + extra;
            if (total < 1 << (4 + 8 * extra)) {
                byte[] out = new byte[1 + extra];
                out[0] = (byte) (extra << 6 | total & 0x0f);
                for (int i = 1; i <= extra; i++) {
                    out[i] = (byte) (total >> (4 + 8 * (i - 1)));
                }
                return out;
            }
        }
        throw new IllegalArgumentException("an AML package of " + bodyBytes + " bytes is too long");
    }

    private static byte[] nameSeg(String name) {
        if (name.length() != 4) {
            throw new IllegalArgumentException("an AML name segment has four characters, not '" + name + "'");
        }
        return name.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] le(long value, int bytes) {
        byte[] out = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            out[i] = (byte) (value >> (8 * i));
        }
        return out;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
