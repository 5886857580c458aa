package dev.hyperfresh.vmm.boot;

import dev.hyperfresh.vmm.boot.linux.LinuxLoader;
import dev.hyperfresh.vmm.boot.linux.MpTable;
import java.nio.file.Path;
import java.util.List;

/**
 * What a VM boots, by name rather than by bytes, so that it can boot again on a reset — in this instance or in one
 * that took the VM over (it moves in the handover offer): hfguest as built into the jar that boots it ({@code kernel}
 * null), or a Linux kernel and initrd read from their files at each boot, as a PC reads its disk.
 */
public record BootImage(String kernel, String initrd, String cmdline) {
    public static BootImage hfguest(String cmdline) {
        return new BootImage(null, null, cmdline);
    }

    public static BootImage linux(Path kernel, Path initrd, String cmdline) {
        return new BootImage(kernel.toString(), initrd == null ? null : initrd.toString(), cmdline);
    }

    /**
     * A loader for this image, made now (a Linux kernel's header is read and checked here).
     *
     * @param pci the PCI devices' interrupts a Linux guest's MP table describes
     */
    public BootLoader loader(List<MpTable.PciInterrupt> pci) {
        return kernel == null ? new MultibootLoader(MultibootLoader.embeddedGuest(), cmdline)
                : new LinuxLoader(Path.of(kernel), initrd == null ? null : Path.of(initrd), cmdline, pci);
    }
}
