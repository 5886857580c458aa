package dev.hyperfresh.vmm.boot.linux;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
     * With a disk or NIC: PCI bus 0 by configuration mechanism #1, its interrupts from the MP table, not from ACPI
     * (whose tables describe no PCI host bridge: Linux would find no PCI device).
     */
    public static final String CMDLINE_WITH_PCI = CMDLINE.replace("pci=off", "pci=conf1,noacpi");

    /**
     * Why Linux would not find the PCI devices of a VM with {@code cmdline}, or null: ACPI on without
     * {@code pci=noacpi}.
     */
    public static String pciObjection(String cmdline) {
        for (String arg : cmdline.trim().split("\\s+")) {
            if (arg.equals("acpi=off")
                    || arg.startsWith("pci=") && List.of(arg.substring(4).split(",")).contains("noacpi")) {
                return null;
            }
        }
        return "Linux's command line needs pci=noacpi (e.g. pci=conf1,noacpi) or acpi=off for the VM's disks and"
                + " network interfaces: hfvisor's ACPI tables describe no PCI host bridge, so with ACPI routing PCI"
                + " Linux finds none";
    }

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
