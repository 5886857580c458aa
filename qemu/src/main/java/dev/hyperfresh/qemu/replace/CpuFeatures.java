package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.qemu.Qom;
import dev.hyperfresh.qemu.qmp.QmpClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The CPUID features a QEMU gives its guest's vCPUs (QOM's {@code feature-words} of its first vCPU), and what a new
 * QEMU would take away. A guest reads CPUID at its boot and at each program's start and uses what it was told; for
 * {@code -cpu host} or {@code -cpu max} another QEMU release may give fewer on the same host (seen: QEMU 10's
 * {@code -cpu host} has erms and fsrm on a PVM host, 7.2's not; 10's {@code -cpu max} sha-ni, rdseed, rdpid, ...),
 * and an instruction the guest was told of then faults, or is not emulated at all under TCG. The new QEMU is told
 * the old vCPU's flags ({@link CpuModel}); what it still lacks (a flag it does not know, one the host or TCG does
 * not have) is said as a warning, not refused: the bits cannot tell a dead feature (7.2's pcommit, gone in 10) from
 * one in use.
 */
final class CpuFeatures {
    /** One CPUID output register: leaf, subleaf (none for a leaf without), register. */
    record Word(long leaf, Long subleaf, String register) {
        @Override
        public String toString() {
            return String.format("CPUID 0x%x%s %s", leaf, subleaf == null ? "" : "." + subleaf, register);
        }
    }

    private static final String FEATURE_WORDS = "feature-words";
    /**
     * Bits the guest's topology sets, not its model: HTT and CmpLegacy. QEMU 7.2 wrote them into CPUID as the guest
     * asked, 10.0 keeps them among the features; the guest sees the same either way.
     */
    private static final Map<Word, Long> TOPOLOGY = Map.of(new Word(1, null, "EDX"), 1L << 28,
            new Word(0x80000001L, null, "ECX"), 1L << 1);

    private CpuFeatures() {
    }

    /**
     * What the guest's vCPUs on {@code source} are told of and those on {@code target} would not be, in words for
     * the operator; empty when nothing. Both QEMUs run, the new one not yet loaded.
     */
    static Optional<String> lost(QmpClient source, QmpClient target) {
        String sourceCpu = Qom.firstCpu(source);
        String targetCpu = Qom.firstCpu(target);
        Map<Word, Long> lost = lost(of(source, sourceCpu), of(target, targetCpu));
        if (lost.isEmpty()) {
            return Optional.empty();
        }
        List<String> bits = new ArrayList<>();
        lost.forEach((word, mask) -> bits.add(word + String.format(" 0x%x", mask)));
        List<String> names = names(source, sourceCpu, target, targetCpu);
        return Optional.of("the new QEMU gives the guest's vCPUs fewer CPU features than the old one does ("
                + (names.isEmpty() ? "" : String.join(", ", names) + ": ") + String.join("; ", bits) + "), and a"
                + " guest told of them (at its boot, or a program at its start) may fault where it uses one; one that"
                + " has not booted since it came from the new QEMU's release never saw them");
    }

    /** The bits set in {@code before} that {@code after} lacks, by word. */
    static Map<Word, Long> lost(Map<Word, Long> before, Map<Word, Long> after) {
        Map<Word, Long> lost = new LinkedHashMap<>();
        before.forEach((word, bits) -> {
            long gone = bits & ~after.getOrDefault(word, 0L) & ~TOPOLOGY.getOrDefault(word, 0L);
            if (gone != 0) {
                lost.put(word, gone);
            }
        });
        return lost;
    }

    /** The feature words of {@code qmp}'s QEMU's first vCPU (each vCPU is the same model). */
    static Map<Word, Long> of(QmpClient qmp) {
        return of(qmp, Qom.firstCpu(qmp));
    }

    private static Map<Word, Long> of(QmpClient qmp, String cpu) {
        Map<Word, Long> words = new LinkedHashMap<>();
        for (JsonNode w : qmp.execute("qom-get", Map.of("path", cpu, "property", FEATURE_WORDS))) {
            JsonNode subleaf = w.path("cpuid-input-ecx");
            words.put(new Word(w.path("cpuid-input-eax").asLong(), subleaf.isMissingNode() ? null : subleaf.asLong(),
                    w.path("cpuid-register").asText()), w.path("features").asLong());
        }
        return words;
    }

    /**
     * The features lost, as QEMU names them: the CPU flags both QEMUs know, on in the old one and off in the new
     * (QOM has no map from bits to names; asked only once something is lost). Aliases ({@code sse4_1},
     * {@code sse4.1}) count once.
     */
    private static List<String> names(QmpClient source, String sourceCpu, QmpClient target, String targetCpu) {
        Set<String> on = new HashSet<>();
        Qom.booleans(source, sourceCpu, name -> true).forEach((name, value) -> {
            if (value) {
                on.add(name);
            }
        });
        TreeSet<String> names = new TreeSet<>();
        Qom.booleans(target, targetCpu, on::contains).forEach((name, value) -> {
            if (!value) {
                names.add(canonical(name));
            }
        });
        return List.copyOf(names);
    }

    private static String canonical(String flag) {
        return flag.replace('_', '-').replace('.', '-');
    }
}
