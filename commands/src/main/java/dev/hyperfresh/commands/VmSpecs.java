package dev.hyperfresh.commands;

import dev.hyperfresh.engine.EngineException;
import dev.hyperfresh.vmm.cli.VmSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds an hfvisor {@code --vm} spec from the launch command's separate options. The values are checked where
 * every spec is, by the engine's parse (VmSpec: vCPUs 1..254, memory, guest), and hfvisor gives hfguest
 * {@code cpus=<vCPUs>} unless the command line says otherwise (HfguestCmdline), so neither is repeated here. Only
 * what the spec's own syntax would misread is refused here: an empty value, a comma (the fields' separator; the
 * command line goes last, so it may hold commas).
 */
final class VmSpecs {
    private VmSpecs() {
    }

    /** The --disk images, then the --disk-ro ones (either may be null), made absolute here, where they were typed. */
    static List<VmSpec.Disk> disks(String[] disks, String[] readOnly) {
        List<VmSpec.Disk> out = new ArrayList<>();
        for (String f : disks == null ? new String[0] : disks) {
            out.add(new VmSpec.Disk(Path.of(f).toAbsolutePath().normalize(), false));
        }
        for (String f : readOnly == null ? new String[0] : readOnly) {
            out.add(new VmSpec.Disk(Path.of(f).toAbsolutePath().normalize(), true));
        }
        return out;
    }

    static String of(String name, String mem, int cpus, GuestKind guest, String kernel, String initrd,
                     String cmdline, List<VmSpec.Disk> disks, List<String> nets, Reboot reboot) {
        field("--vm-name", name);
        field("--mem", mem);
        if (kernel != null) {
            field("--kernel", kernel);
        }
        if (initrd != null) {
            field("--initrd", initrd);
        }
        for (VmSpec.Disk d : disks) {
            field(d.readOnly() ? "--disk-ro" : "--disk", d.path().toString());
        }
        nets.forEach(n -> field("--net", n));
        StringBuilder spec = new StringBuilder("name=" + name + ",mem=" + mem + ",cpus=" + cpus + ",guest=" + guest);
        for (VmSpec.Disk d : disks) {
            spec.append(d.readOnly() ? ",disk-ro=" : ",disk=").append(d.path());
        }
        nets.forEach(n -> spec.append(",net=").append(n));
        if (reboot == Reboot.poweroff) {   // restart is hfvisor's default
            spec.append(",reboot=").append(reboot);
        }
        if (kernel != null) {
            spec.append(",kernel=").append(kernel);
        }
        if (initrd != null) {
            spec.append(",initrd=").append(initrd);
        }
        if (cmdline != null) {
            spec.append(",cmdline=").append(cmdline);
        }
        return spec.toString();
    }

    private static void field(String option, String value) {
        if (value == null || value.isEmpty()) {
            throw EngineException.usage(option + " must not be empty");
        }
        if (value.contains(",")) {
            throw EngineException.usage(option + " cannot contain ',' (it separates the fields of hfvisor's --vm spec):"
                    + " '" + value + "'");
        }
    }
}
