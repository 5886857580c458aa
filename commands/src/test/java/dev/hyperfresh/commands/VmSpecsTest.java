package dev.hyperfresh.commands;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.vmm.cli.VmSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The spec launch builds from its options is the one hfvisor reads them back from. */
class VmSpecsTest {
    private static String spec(Reboot reboot) {
        return VmSpecs.of("web", "64M", 1, GuestKind.hfguest, null, null, "hb_ms=50,mem_pct=30", List.of(), List.of(),
                reboot);
    }

    @Test
    void aVmThatPowersOffOnItsResetSaysSoAndOneThatBootsAgainLeavesItToHfvisorsDefault() {
        assertThat(spec(Reboot.poweroff)).isEqualTo("name=web,mem=64M,cpus=1,guest=hfguest,reboot=poweroff,"
                + "cmdline=hb_ms=50,mem_pct=30");
        assertThat(VmSpec.parse(spec(Reboot.poweroff)).rebootRestarts()).isFalse();
        assertThat(spec(Reboot.restart)).doesNotContain("reboot");
        assertThat(VmSpec.parse(spec(Reboot.restart)).rebootRestarts()).isTrue();
    }
}
