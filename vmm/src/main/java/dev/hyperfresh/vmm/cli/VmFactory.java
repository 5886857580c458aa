package dev.hyperfresh.vmm.cli;

import static java.lang.System.Logger.Level.WARNING;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.KvmFlavor;
import dev.hyperfresh.sys.ImageFile;
import dev.hyperfresh.sys.TapDevice;
import dev.hyperfresh.vmm.boot.BootImage;
import dev.hyperfresh.vmm.boot.linux.LinuxGuestBuild;
import dev.hyperfresh.vmm.boot.linux.MpTable;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.vm.GuestWarning;
import dev.hyperfresh.vmm.vm.PcDevices;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmConfig;
import dev.hyperfresh.vmm.vm.VmDisk;
import dev.hyperfresh.vmm.vm.VmNic;
import dev.hyperfresh.vmm.vm.VmPci;
import java.util.ArrayList;
import java.util.List;

/** Turns a {@code --vm} spec into a created (not yet started) VM. */
final class VmFactory {
    private static final System.Logger LOG = System.getLogger(VmFactory.class.getName());

    private VmFactory() {
    }

    /** A created VM and, for Linux, the serial port its console is on (null for hfguest, which has none). */
    record Created(VirtualMachine vm, PcDevices pc) {
    }

    /**
     * A Linux guest's serial console lines go to the VM's console listeners. hfguest's command line gets this
     * KVM's defaults ({@link HfguestCmdline}); a guest that will not get far on this KVM gets a warning, on stderr
     * (the instance's log when the shell launched it) and in the log.
     */
    static Created create(Kvm kvm, VmSpec spec) {
        KvmFlavor flavor = kvm.flavor();
        GuestWarning.of(flavor.label(), spec.guest(), spec.name()).ifPresent(warning -> {
            LOG.log(WARNING, warning);
            System.err.println("hfvisor: warning: " + warning);
        });
        // opened (and locked, attached) before the VM is made, so an image or tap in use refuses the VM outright
        List<VmDisk.Image> images = new ArrayList<>();
        List<VmNic.Tap> taps = new ArrayList<>();
        Created created;
        try {
            for (VmSpec.Disk d : spec.disks()) {
                images.add(new VmDisk.Image(d.path(), ImageFile.open(d.path(), d.readOnly()), d.readOnly()));
            }
            for (InstanceInfo.Nic n : spec.nics()) {
                taps.add(new VmNic.Tap(TapDevice.open(n.tap()), n.mac()));
            }
            created = spec.guest().equals(VmConfig.LINUX) ? linux(kvm, spec)
                    : new Created(create(kvm, spec, BootImage.hfguest(HfguestCmdline.of(spec.vcpus(), flavor,
                            spec.cmdline())), List.of()), null);
        } catch (RuntimeException e) {
            images.forEach(i -> i.file().close());
            taps.forEach(t -> t.tap().close());
            throw e;
        }
        try {
            VmPci.attach(created.vm(), images, taps);
        } catch (RuntimeException e) {
            created.vm().close();
            throw e;
        }
        return created;
    }

    /**
     * With disks or interfaces, the MP table routes their interrupts and the default command line lets Linux find
     * PCI.
     */
    private static Created linux(Kvm kvm, VmSpec spec) {
        int devices = spec.disks().size() + spec.nics().size();
        String cmdline = !spec.cmdline().isEmpty() ? spec.cmdline()
                : devices > 0 ? LinuxGuestBuild.CMDLINE_WITH_PCI : LinuxGuestBuild.CMDLINE;
        String pci = devices > 0 ? LinuxGuestBuild.pciObjection(cmdline) : null;
        if (pci != null) {
            throw new IllegalArgumentException("VM " + spec.name() + ": " + pci);
        }
        VirtualMachine vm = create(kvm, spec, BootImage.linux(spec.kernel(), spec.initrd(), cmdline),
                VmPci.interrupts(devices));
        return new Created(vm, PcDevices.attach(vm));
    }

    private static VirtualMachine create(Kvm kvm, VmSpec spec, BootImage image, List<MpTable.PciInterrupt> pci) {
        return VirtualMachine.create(kvm, new VmConfig(spec.name(), spec.memoryBytes(), spec.vcpus(),
                spec.hugePages(), image.loader(pci), spec.guest(), spec.rebootRestarts() ? image : null));
    }
}
