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

    /** 7.2 wrote HTT and CmpLegacy as the guest asked, 10.0 keeps them among the features: the guest sees both. */
    @Test
    void theTopologysBitsAreNotTheModels() {
        Word leaf1Edx = new Word(1, null, "EDX");
        Word extEcx = new Word(0x80000001L, null, "ECX");
        assertThat(CpuFeatures.lost(Map.of(leaf1Edx, 0x10000001L, extEcx, 0x3L), Map.of(leaf1Edx, 1L, extEcx, 1L)))
                .isEmpty();
        assertThat(CpuFeatures.lost(Map.of(extEcx, 0x3L), Map.of())).as("lahf-lm, bit 0, is the model's")
                .containsExactly(Map.entry(extEcx, 0x1L));
    }

    @Test
    void aWordIsNamedAsCpuidWritesIt() {
        assertThat(LEAF7_EBX).hasToString("CPUID 0x7.0 EBX");
        assertThat(new Word(0x80000001L, null, "ECX")).hasToString("CPUID 0x80000001 ECX");
    }
}
