package dev.hyperfresh.commands;

import dev.hyperfresh.engine.EngineException;
import java.io.File;

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

    /** A disk as the console names it: the path made absolute here, where the operator's relative path means it. */
    record Disk(String path, boolean readOnly) {
        static Disk of(File file, boolean readOnly) {
            if (file == null) {
                if (readOnly) {
                    throw EngineException.usage("--disk-readonly applies to a --disk; none given");
                }
                return null;
            }
            return new Disk(file.toPath().toAbsolutePath().normalize().toString(), readOnly);
        }
    }

    static String of(String name, String mem, int cpus, GuestKind guest, String kernel, String initrd,
                     String cmdline, Disk disk) {
        field("--vm-name", name);
        field("--mem", mem);
        if (kernel != null) {
            field("--kernel", kernel);
        }
        if (initrd != null) {
            field("--initrd", initrd);
        }
        if (disk != null) {
            field("--disk", disk.path());
        }
        StringBuilder spec = new StringBuilder("name=" + name + ",mem=" + mem + ",cpus=" + cpus + ",guest=" + guest);
        if (disk != null) {
            spec.append(",disk=").append(disk.path()).append(disk.readOnly() ? ",readonly" : "");
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
