package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.control.InstanceRef;

/** The process that runs the VMs a step concerns, as the engine last saw it: an hfvisor instance or a QEMU. */
public record VmsOn(String name, long pid) {
    public static VmsOn of(InstanceRef ref) {
        return new VmsOn(ref.name(), ref.pid());
    }
}
