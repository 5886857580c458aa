package dev.hyperfresh.engine;

import dev.hyperfresh.qemu.MemoryBackend;
import dev.hyperfresh.qemu.QemuInfo;
import java.nio.file.Path;

/**
 * A QEMU found by its QMP socket (one QEMU runs one VM): either answering ({@code info} set) or not
 * ({@code problem} says why: a stale socket, another QMP client holding it). {@code name} is how commands name
 * it: the socket's name without {@code .qmp} in the socket directory, else {@code qmp:PATH}.
 * {@code uncarriedCpuState}: what QEMU's migration would lose of the guest's CPU state on this host, which
 * {@code replace} refuses to lose unless told ({@link dev.hyperfresh.qemu.UncarriedCpuState}); null when nothing.
 */
public record QemuVm(String name, Path socket, QemuInfo info, String problem, String uncarriedCpuState) {
    public boolean isStale() {
        return problem != null;
    }

    /** Whether a new QEMU can map the guest RAM as it is, i.e. replace it without copying the RAM. */
    public boolean shareableRam() {
        return info != null && !info.memory().isEmpty() && info.memory().stream()
                .allMatch(MemoryBackend::replaceableInPlace);
    }
}
