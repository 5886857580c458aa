package dev.hyperfresh.qemu.replace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which command lines make a reset end QEMU (the shell's tests reset real ones). */
class ResetActionTest {
    @Test
    void noRebootOrARebootActionOfShutdownEndsQemu() {
        assertThat(ends("-m", "128M", "-no-reboot")).isTrue();
        assertThat(ends("--no-reboot")).isTrue();
        assertThat(ends("-action", "shutdown=pause,reboot=shutdown")).isTrue();
        assertThat(ends("-action", "reboot=reset")).isFalse();
        assertThat(ends("-m", "128M", "-no-shutdown")).isFalse();
    }

    private static boolean ends(String... options) {
        List<String> argv = new ArrayList<>(List.of("qemu-system-x86_64"));
        argv.addAll(List.of(options));
        return ResetAction.endsQemu(QemuArgs.parse(argv, null));
    }
}
