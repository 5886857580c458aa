package dev.hyperfresh.vmm.cli;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.vmm.boot.BootLoader;
import dev.hyperfresh.vmm.boot.MultibootLoader;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmConfig;

/** Turns a {@code --vm} spec into a created (not yet started) VM. */
final class VmFactory {
    private VmFactory() {
    }

    static VirtualMachine create(Kvm kvm, VmSpec spec) {
        if (spec.guest().equals("linux")) {
            throw new IllegalArgumentException("guest=linux is not wired into hfvisor's command line yet");
        }
        String cmdline = spec.cmdline().isEmpty() ? "cpus=" + spec.vcpus() : spec.cmdline();
        BootLoader loader = new MultibootLoader(MultibootLoader.embeddedGuest(), cmdline);
        return VirtualMachine.create(kvm, new VmConfig(spec.name(), spec.memoryBytes(), spec.vcpus(),
                spec.hugePages(), loader, spec.guest()));
    }
}
