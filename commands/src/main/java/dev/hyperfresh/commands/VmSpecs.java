package dev.hyperfresh.commands;

import dev.hyperfresh.engine.EngineException;

/** Builds an hfvisor {@code --vm} spec from the launch command's separate options. */
final class VmSpecs {
    private VmSpecs() {
    }

    static String of(String name, String mem, int cpus, GuestKind guest, String kernel, String initrd,
                     String cmdline) {
        if (cpus < 1) {
            throw EngineException.usage("--cpus must be at least 1, got " + cpus);
        }
        StringBuilder spec = new StringBuilder("name=" + name + ",mem=" + mem + ",cpus=" + cpus + ",guest=" + guest);
        if (kernel != null) {
            spec.append(",kernel=").append(kernel);
        }
        if (initrd != null) {
            spec.append(",initrd=").append(initrd);
        }
        if (cmdline != null) {
            spec.append(",cmdline=").append(cmdline);
        } else if (guest == GuestKind.hfguest) {
            // hfguest runs its workload on as many CPUs as it is told; give it all of them
            spec.append(",cmdline=cpus=").append(cpus);
        }
        return spec.toString();
    }
}
