package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.qemu.testing.TestQemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuModelTest {
    @Test
    void eachReleaseListsTheFlagsItKnows() {
        assertThat(CpuModel.flagsOf(TestQemu.binary())).contains("sse4.1", "sha-ni", "pcommit", "vmx-vpid")
                .doesNotContain("amd-psfd", "Recognized", "");
        assertThat(CpuModel.flagsOf(TestQemu.newer())).contains("sse4.1", "sha-ni", "amd-psfd");
    }

    @Test
    void aBinaryThatCannotSayListsNothing(@TempDir Path dir) throws IOException {
        Path broken = Files.writeString(dir.resolve("qemu"), "#!/bin/sh\nexit 1\n");
        assertThat(broken.toFile().setExecutable(true)).isTrue();
        assertThat(CpuModel.flagsOf(broken)).isEmpty();
    }

    /**
     * Every flag the new QEMU knows is written as the old vCPU has it, after what the command line says; a flag only
     * the old QEMU knows (an earlier pin's) is left out, and what is no flag stays, escaped commas and all.
     */
    @Test
    void theNewQemuIsToldEveryFlagAsTheOldVcpuHasIt() {
        Map<String, Boolean> values = new LinkedHashMap<>();
        values.put("arch-capabilities", false);
        values.put("sha-ni", true);
        values.put("erms", false);
        assertThat(CpuModel.pinned("max,-arch-capabilities,pmu=off,amd-psfd=off,model-id=a,,b",
                Set.of("arch-capabilities", "amd-psfd", "sha-ni", "erms"), values))
                .isEqualTo("max,-arch-capabilities,pmu=off,model-id=a,,b,sha-ni=on,erms=off");
        assertThat(CpuModel.pinned("host", Set.of(), Map.of())).isEqualTo("host");
    }
}
