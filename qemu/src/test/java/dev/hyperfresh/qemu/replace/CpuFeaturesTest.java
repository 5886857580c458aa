package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.qemu.replace.CpuFeatures.Word;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuFeaturesTest {
    private static final Word LEAF7_EBX = new Word(7, 0L, "EBX");
    private static final Word LEAF1_ECX = new Word(1, null, "ECX");

    @Test
    void onlyBitsTheOldQemuGaveAndTheNewOneDoesNotAreLost() {
        Map<Word, Long> before = Map.of(LEAF7_EBX, 0x400200L, LEAF1_ECX, 0x80000001L);
        assertThat(CpuFeatures.lost(before, Map.of(LEAF7_EBX, 0x20000200L, LEAF1_ECX, 0x80000001L)))
                .containsExactly(Map.entry(LEAF7_EBX, 0x400000L));
        assertThat(CpuFeatures.lost(before, Map.of(LEAF7_EBX, 0x400200L))).containsExactly(
                Map.entry(LEAF1_ECX, 0x80000001L));
        assertThat(CpuFeatures.lost(Map.of(LEAF1_ECX, 1L), Map.of(LEAF1_ECX, 3L))).isEmpty();
    }

    @Test
    void aWordIsNamedAsCpuidWritesIt() {
        assertThat(LEAF7_EBX).hasToString("CPUID 0x7.0 EBX");
        assertThat(new Word(0x80000001L, null, "ECX")).hasToString("CPUID 0x80000001 ECX");
    }
}
