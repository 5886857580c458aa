package dev.hyperfresh.qemu.replace;

import java.util.List;

/**
 * What a reset does to a running QEMU: run with {@code -no-reboot} (or {@code -action reboot=shutdown}) it ends instead
 * of booting its guest again, for a reset the guest asks for and for QMP's {@code system_reset} alike. QMP does not
 * say which; the command line does.
 */
public final class ResetAction {
    private ResetAction() {
    }

    /** Whether a reset ends the QEMU of {@code pid}, from its command line in /proc. */
    public static boolean endsQemu(long pid) {
        return endsQemu(QemuArgs.ofProcess(pid));
    }

    static boolean endsQemu(QemuArgs args) {
        return args.options().stream().anyMatch(o -> o.name().equals("no-reboot")
                || o.name().equals("action") && o.value() != null
                && List.of(o.value().split(",")).contains("reboot=shutdown"));
    }
}
