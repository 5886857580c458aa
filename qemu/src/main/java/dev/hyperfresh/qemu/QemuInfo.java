package dev.hyperfresh.qemu;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an attached QEMU reports about itself and its VM (one QEMU process runs one VM): {@code status} is QMP's
 * run state ("running", "paused", "inmigrate", "postmigrate", ...); {@code name} is -name, or empty;
 * {@code cpuModelHasXsave}: whether QEMU's CPU model has XSAVE, i.e. whether its migration carries AVX state
 * ({@link UncarriedCpuState}); {@code runByLibvirt}: it has libvirt's monitor ({@link Libvirt}), and hyperfresh
 * leaves it to libvirt.
 */
public record QemuInfo(Path qmpSocket, long pid, String name, String status, boolean running, String version,
                       Accelerator accelerator, List<QemuVcpu> vcpus, List<MemoryBackend> memory,
                       boolean cpuModelHasXsave, boolean runByLibvirt) {
    public QemuInfo {
        vcpus = List.copyOf(vcpus);
        memory = List.copyOf(memory);
    }

    public long memoryBytes() {
        return memory.stream().mapToLong(MemoryBackend::sizeBytes).sum();
    }

    /**
     * Whether this QEMU migrates shared RAM that is not a named file even with {@code x-ignore-shared}: from QEMU
     * 8.1 on ({@link MemoryBackend}); a version it does not say is taken as the newer kind.
     */
    public boolean migratesUnnamedSharedRam() {
        Matcher m = RELEASE.matcher(version);
        return !m.find() || Integer.parseInt(m.group(1)) * 100 + Integer.parseInt(m.group(2)) >= 801;
    }

    private static final Pattern RELEASE = Pattern.compile("^(\\d+)\\.(\\d+)");
}
