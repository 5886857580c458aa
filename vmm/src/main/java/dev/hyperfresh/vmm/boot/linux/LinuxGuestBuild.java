package dev.hyperfresh.vmm.boot.linux;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where guests/linux/fetch-and-build.sh leaves the Linux test guest (Debian's kernel and a busybox initramfs),
 * and the command line that boots it on hfvisor's PC devices.
 */
public record LinuxGuestBuild(Path dir) {
    public static final String SCRIPT = "guests/linux/fetch-and-build.sh";
    /**
     * No PCI; ACPI for power off and the power button only (SMP comes from the MP table); reboot=k resets through
     * the i8042.
     */
    public static final String CMDLINE = "console=ttyS0 earlycon=uart8250,io,0x3f8 reboot=k panic=-1 pci=off";
    /**
     * With a disk or NIC: Linux finds PCI bus 0 as on any PC, through ACPI's host bridge (its windows and interrupt
     * routes, {@link AcpiTables}); {@code pci=noacpi} would take the MP table's instead, which says the same.
     */
    public static final String CMDLINE_WITH_PCI = CMDLINE.replace(" pci=off", "");

    /** {@code ${XDG_CACHE_HOME:-~/.cache}/hyperfresh/linux}, as the script uses. */
    public static LinuxGuestBuild standard() {
        String cache = Optional.ofNullable(System.getenv("XDG_CACHE_HOME")).filter(s -> !s.isEmpty())
                .orElse(System.getProperty("user.home") + "/.cache");
        return new LinuxGuestBuild(Path.of(cache, "hyperfresh", "linux"));
    }

    public Path kernel() {
        return dir.resolve("vmlinuz");
    }

    public Path initrd() {
        return dir.resolve("initramfs.cpio.gz");
    }

    public boolean isBuilt() {
        return Files.isReadable(kernel()) && Files.isReadable(initrd());
    }

    /** Why this build cannot be booted (missing files, and the script that makes them), if it cannot. */
    public Optional<String> missing() {
        return isBuilt() ? Optional.empty() : Optional.of("no Linux guest in " + dir + ": run " + SCRIPT + " first");
    }

    /** @throws IllegalArgumentException naming the script when the build is missing */
    public LinuxGuestBuild requireBuilt() {
        missing().ifPresent(why -> {
            throw new IllegalArgumentException(why + ", or give kernel=PATH (and initrd=PATH)");
        });
        return this;
    }
}
