package dev.hyperfresh.vmm.vm;

import java.util.HexFormat;

/**
 * Names the x86 instruction at the start of some code bytes, for the report of an instruction KVM could not
 * emulate: the common kinds a guest kernel meets there (vector, x87 and system instructions, software interrupts),
 * not a full decoder. Always gives the bytes in hex, so an instruction it cannot name is still identifiable.
 */
final class InstructionName {
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    private InstructionName() {
    }

    /** E.g. {@code "XGETBV (0f 01 d0)"}; {@code long64}: the code runs in 64-bit mode (REX, VEX always). */
    static String of(byte[] code, boolean long64) {
        return name(code, long64) + " (" + HEX.formatHex(code) + ")";
    }

    private static String name(byte[] code, boolean long64) {
        int i = 0;
        String mandatory = "";
        while (i < code.length && isPrefix(code[i] & 0xff, long64)) {
            int p = code[i] & 0xff;
            if (p == 0x66 || p == 0xf2 || p == 0xf3) {
                mandatory = String.format("%02x ", p);
            }
            i++;
        }
        if (i >= code.length) {
            return "an instruction that does not fit the bytes KVM gave";
        }
        int op = code[i] & 0xff;
        int next = i + 1 < code.length ? code[i + 1] & 0xff : -1;
        // outside 64-bit mode c4/c5/62 are LES/LDS/BOUND unless the next byte's top bits are 11
        boolean vexLike = long64 || (next >= 0 && (next & 0xc0) == 0xc0);
        return switch (op) {
            case 0xc4, 0xc5 -> vexLike ? "a VEX-encoded (AVX) instruction" : "LES/LDS";
            case 0x62 -> vexLike ? "an EVEX-encoded (AVX-512) instruction" : "BOUND";
            case 0xcc -> "INT3";
            case 0xcd -> next < 0 ? "INT n" : String.format("INT 0x%02x", next);
            case 0xce -> "INTO";
            case 0xf1 -> "INT1 (ICEBP)";
            case 0xf4 -> "HLT";
            case 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf -> "an x87 floating-point instruction";
            case 0x0f -> twoByte(code, i + 1, mandatory);
            default -> "an instruction this decoder does not name";
        };
    }

    private static String twoByte(byte[] code, int at, String mandatory) {
        if (at >= code.length) {
            return "a two-byte (0f) instruction";
        }
        int op = code[at] & 0xff;
        int modrm = at + 1 < code.length ? code[at + 1] & 0xff : -1;
        return switch (op) {
            case 0x01 -> switch (modrm) {
                case 0xd0 -> "XGETBV";
                case 0xd1 -> "XSETBV";
                case 0xf9 -> "RDTSCP";
                case 0xca -> "CLAC";
                case 0xcb -> "STAC";
                case 0xf8 -> "SWAPGS";
                default -> "a descriptor-table or system instruction (0f 01)";
            };
            case 0x05 -> "SYSCALL";
            case 0x07 -> "SYSRET";
            case 0x0b -> "UD2";
            case 0x30 -> "WRMSR";
            case 0x31 -> "RDTSC";
            case 0x32 -> "RDMSR";
            case 0xa2 -> "CPUID";
            case 0x38, 0x3a -> String.format("an SSSE3/SSE4 instruction (%s0f %02x)", mandatory, op);
            case 0xae -> modrm < 0 ? "a state save/fence instruction (0f ae)" : switch ((modrm >> 3) & 7) {
                case 0 -> "FXSAVE";
                case 1 -> "FXRSTOR";
                case 2 -> "LDMXCSR";
                case 3 -> "STMXCSR";
                case 4 -> "XSAVE";
                case 5 -> modrm >= 0xc0 ? "LFENCE" : "XRSTOR";
                case 6 -> modrm >= 0xc0 ? "MFENCE" : "XSAVEOPT";
                default -> modrm >= 0xc0 ? "SFENCE" : "CLFLUSH";
            };
            case 0xc7 -> modrm >= 0xc0 && ((modrm >> 3) & 7) == 6 ? "RDRAND"
                    : modrm >= 0xc0 && ((modrm >> 3) & 7) == 7 ? "RDSEED" : "CMPXCHG8B/16B or XSAVES family (0f c7)";
            default -> isSimd(op) ? String.format("an SSE/MMX instruction (%s0f %02x)", mandatory, op)
                    : String.format("a two-byte instruction (0f %02x)", op);
        };
    }

    private static boolean isSimd(int op) {
        return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) || (op >= 0x50 && op <= 0x7f)
                || (op >= 0xc2 && op <= 0xc6) || op >= 0xd0;
    }

    private static boolean isPrefix(int b, boolean long64) {
        return switch (b) {
            case 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3 -> true;
            default -> long64 && (b & 0xf0) == 0x40;
        };
    }
}
