package dev.hyperfresh.vmm.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VmSpecTest {
    @Test
    void defaultsToOneHfguestVcpuWith256MiB() {
        VmSpec s = VmSpec.parse("name=demo");
        assertThat(s.name()).isEqualTo("demo");
        assertThat(s.memoryBytes()).isEqualTo(256L << 20);
        assertThat(s.vcpus()).isEqualTo(1);
        assertThat(s.guest()).isEqualTo("hfguest");
        assertThat(s.console()).isEqualTo("stdout");
    }

    @Test
    void parsesEveryKeyAndKeepsCommasInTheCmdline() {
        VmSpec s = VmSpec.parse("name=a,mem=4G,cpus=2,hugepages,console=none,cmdline=cpus=2 mem_pct=5,x");
        assertThat(s.memoryBytes()).isEqualTo(4L << 30);
        assertThat(s.vcpus()).isEqualTo(2);
        assertThat(s.hugePages()).isTrue();
        assertThat(s.console()).isEqualTo("none");
        assertThat(s.cmdline()).isEqualTo("cpus=2 mem_pct=5,x");
    }

    @Test
    void sizesAcceptCommonSuffixes() {
        assertThat(VmSpec.parseSize("512K")).isEqualTo(512L << 10);
        assertThat(VmSpec.parseSize("1GiB")).isEqualTo(1L << 30);
        assertThat(VmSpec.parseSize("64mb")).isEqualTo(64L << 20);
        assertThat(VmSpec.parseSize("4096")).isEqualTo(4096);
    }

    @Test
    void badInputIsNamed() {
        assertThatThrownBy(() -> VmSpec.parse("name=a,colour=red")).hasMessageContaining("unknown --vm key 'colour'");
        assertThatThrownBy(() -> VmSpec.parse("mem=lots")).hasMessageContaining("not a size: 'lots'");
        assertThatThrownBy(() -> VmSpec.parse("mem=-5M")).hasMessageContaining("not a size");
        assertThatThrownBy(() -> VmSpec.parse("cpus=two")).hasMessageContaining("cpus must be a number");
        assertThatThrownBy(() -> VmSpec.parse("guest=windows")).hasMessageContaining("hfguest or linux");
        assertThatThrownBy(() -> VmSpec.parse("guest=linux")).hasMessageContaining("needs kernel=PATH");
        assertThatThrownBy(() -> VmSpec.parse("kernel=/nonexistent/bzImage"))
                .hasMessageContaining("kernel file not readable: /nonexistent/bzImage");
    }
}
