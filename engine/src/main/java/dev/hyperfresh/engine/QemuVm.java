package dev.hyperfresh.engine;

import dev.hyperfresh.qemu.MemoryBackend;
import dev.hyperfresh.qemu.QemuExecutable;
import dev.hyperfresh.qemu.QemuInfo;
import java.nio.file.Path;

/**
 * A QEMU found by its QMP socket (one QEMU runs one VM): either answering ({@code info} set) or not
 * ({@code problem} says why: a stale socket, another QMP client holding it). {@code name} is how commands name
 * it: the socket's name without {@code .qmp} in the socket directory, else {@code qmp:PATH}.
 * {@code uncarriedCpuState}: what QEMU's migration would lose of the guest's CPU state on this host, which
 * {@code replace} refuses to lose unless told ({@link dev.hyperfresh.qemu.UncarriedCpuState}); null when nothing.
 * {@code program}: the file the process runs as /proc names it ({@link QemuExecutable}; null when /proc does not
 * say), which ends in {@value QemuExecutable#REPLACED} once a package upgrade replaced it under the running QEMU.
 * {@code systemdService}: the systemd service whose cgroup it is in (null when none), which {@code replace} takes
 * over or refuses.
 */
public record QemuVm(String name, Path socket, QemuInfo info, String problem, String uncarriedCpuState,
                     String program, String systemdService) {
    public boolean isStale() {
        return problem != null;
    }

    /** Whether the QEMU binary it runs was replaced (upgraded) on disk since it started. */
    public boolean programReplaced() {
        return program != null && program.endsWith(QemuExecutable.REPLACED);
    }

    /** Whether a new QEMU can map the guest RAM as it is, i.e. replace it without copying the RAM. */
    public boolean shareableRam() {
        return info != null && !info.memory().isEmpty() && info.memory().stream()
                .allMatch(b -> b.replaceableInPlace(info));
    }
}
