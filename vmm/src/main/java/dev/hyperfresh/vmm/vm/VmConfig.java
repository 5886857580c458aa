package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.vmm.boot.BootImage;
import dev.hyperfresh.vmm.boot.BootLoader;

/**
 * What one VM is: its name, size, vCPU count, what it boots first ({@code loader}; null for a VM taken over, which
 * arrives running) and what it boots again on a reset ({@code reboot}; null: a reset powers it off).
 */
public record VmConfig(String name, long memoryBytes, int vcpus, boolean hugePages, BootLoader loader,
                       String guestKind, BootImage reboot) {
    /** Guest kinds: our self-checking guest, and a Linux kernel with the PC devices it needs. */
    public static final String HFGUEST = "hfguest", LINUX = "linux";

    public VmConfig {
        check(name, memoryBytes, vcpus, hugePages);
    }

    /** A VM that powers off on a reset. */
    public VmConfig(String name, long memoryBytes, int vcpus, boolean hugePages, BootLoader loader,
                    String guestKind) {
        this(name, memoryBytes, vcpus, hugePages, loader, guestKind, null);
    }

    /** What a VM's shape must be, checked where a spec is read (a console's `launch` too) and where a VM is made. */
    public static void check(String name, long memoryBytes, int vcpus, boolean hugePages) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
            throw new IllegalArgumentException("VM name must be 1-64 letters, digits, '_', '.', '-': " + name);
        }
        if (vcpus < 1 || vcpus > 254) {
            throw new IllegalArgumentException("vCPUs must be 1..254, got " + vcpus);
        }
        if (memoryBytes < (16L << 20)) {
            throw new IllegalArgumentException("VM memory must be at least 16 MiB, got " + memoryBytes + " bytes");
        }
        if (hugePages && memoryBytes % (2L << 20) != 0) {
            throw new IllegalArgumentException("VM memory on huge pages must be a multiple of 2 MiB, got "
                    + memoryBytes + " bytes");
        }
    }
}
