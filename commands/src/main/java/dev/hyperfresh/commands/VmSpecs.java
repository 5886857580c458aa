package dev.hyperfresh.commands;

/**
 * Builds an hfvisor {@code --vm} spec from the launch command's separate options. The values are checked where
 * every spec is, by the engine's parse (VmSpec: vCPUs 1..254, memory, guest), and hfvisor gives hfguest
 * {@code cpus=<vCPUs>} unless the command line says otherwise (HfguestCmdline), so neither is repeated here.
 */
final class VmSpecs {
    private VmSpecs() {
    }

    static String of(String name, String mem, int cpus, GuestKind guest, String kernel, String initrd,
                     String cmdline) {
        StringBuilder spec = new StringBuilder("name=" + name + ",mem=" + mem + ",cpus=" + cpus + ",guest=" + guest);
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
}
