package dev.hyperfresh.qemu.replace;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A unix socket the old QEMU listens on: the standby listens on {@code standbyPath} meanwhile, and takes
 * {@code path} over once the old QEMU has exited. QEMU deletes the path it bound when it exits, so the standby's
 * name must differ from the one the old QEMU bound, which for a QEMU hyperfresh started was its own standby name:
 * the old QEMU's pid makes it unique.
 */
public record SocketMove(Path standbyPath, Path path) {
    private static final Pattern STANDBY = Pattern.compile("(.*)\\.next-[0-9]+");

    /** {@code bound}: the path the old QEMU (pid {@code oldPid}) listens on. */
    static SocketMove of(Path bound, long oldPid) {
        Path path = named(bound);
        return new SocketMove(path.resolveSibling(path.getFileName() + ".next-" + oldPid), path);
    }

    /** Where a socket QEMU bound as {@code bound} is: renamed to its own name if it was a standby's. */
    static Path named(Path bound) {
        Matcher m = STANDBY.matcher(bound.getFileName().toString());
        return m.matches() ? bound.resolveSibling(m.group(1)) : bound;
    }
}
