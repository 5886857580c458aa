package dev.hyperfresh.vmm.vm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InstructionNameTest {
    @Test
    void namesWhatAKernelMeetsInAnEmulatedRing0() {
        assertThat(name(true, 0x0f, 0x01, 0xd0)).isEqualTo("XGETBV (0f 01 d0)");
        assertThat(name(true, 0xc4, 0x41, 0x7e, 0x6f, 0x00))
                .isEqualTo("a VEX-encoded (AVX) instruction (c4 41 7e 6f 00)");
        assertThat(name(true, 0xc5, 0xf8, 0x77)).startsWith("a VEX-encoded (AVX) instruction");
        assertThat(name(true, 0x62, 0xf1, 0x7c, 0x48, 0x10, 0x00)).startsWith("an EVEX-encoded (AVX-512)");
        assertThat(name(true, 0xcd, 0x80)).startsWith("INT 0x80");
        assertThat(name(true, 0x66, 0x0f, 0x6f, 0x00)).startsWith("an SSE/MMX instruction (66 0f 6f)");
        assertThat(name(true, 0x66, 0x0f, 0x38, 0x00, 0xc1)).startsWith("an SSSE3/SSE4 instruction (66 0f 38)");
        assertThat(name(true, 0x0f, 0xae, 0x20)).startsWith("XSAVE ");
        assertThat(name(true, 0x0f, 0xae, 0xf0)).startsWith("MFENCE");
        assertThat(name(true, 0xd9, 0x00)).startsWith("an x87 floating-point instruction");
        assertThat(name(true, 0x48, 0x0f, 0xc7, 0xf0)).as("REX.W rdrand rax").startsWith("RDRAND");
    }

    @Test
    void outside64BitModeC4AndC5AreVexOnlyWithARegisterForm() {
        assertThat(name(false, 0xc4, 0x06)).startsWith("LES/LDS");
        assertThat(name(false, 0xc5, 0xf8, 0x77)).startsWith("a VEX-encoded");
        assertThat(name(false, 0x40, 0x90)).as("inc eax, not a REX prefix").startsWith("an instruction this decoder");
    }

    @Test
    void whatItCannotNameStillShowsTheBytes() {
        assertThat(name(true, 0x90)).isEqualTo("an instruction this decoder does not name (90)");
        assertThat(name(true, 0x66, 0x66)).startsWith("an instruction that does not fit");
    }

    private static String name(boolean long64, int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return InstructionName.of(b, long64);
    }
}
