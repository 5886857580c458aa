package dev.hyperfresh.vmm.handover;

import dev.hyperfresh.vmm.vm.VirtualMachine;

/** A VM as its instance hosts it: the VM, and where its console goes (hfvisor's {@code console=} value). */
public record HostedVm(VirtualMachine vm, String console) {
}
