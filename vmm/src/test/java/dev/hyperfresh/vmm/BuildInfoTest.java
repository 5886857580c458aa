package dev.hyperfresh.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BuildInfoTest {
    @Test
    void theBuildIsFoundInItsOwnWordsAndNowhereElse() {
        BuildInfo build = new BuildInfo("0.1.0-SNAPSHOT", "2026-12-07T02:42:37Z");
        assertThat(BuildInfo.find(build + "\nKVM: PVM (kvm_pvm)\n")).contains(build);
        assertThat(BuildInfo.find("Picked up JAVA_TOOL_OPTIONS: -Xss1m\n" + build)).contains(build);
        assertThat(BuildInfo.find("hfvisor: unknown option --version")).isEmpty();
    }
}
