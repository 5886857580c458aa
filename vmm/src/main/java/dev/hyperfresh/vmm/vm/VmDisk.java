package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.sys.ImageFile;
import dev.hyperfresh.vmm.boot.linux.MpTable;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.devices.pci.PciBus;
import dev.hyperfresh.vmm.devices.virtio.VirtioBlock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One of a VM's disks: a virtio block device over a raw image on the VM's PCI bus 0 (configuration mechanism #1).
 * Disk {@code i} sits in slot {@code i + 1} with its BAR after the one before, its INTA# on IOAPIC input
 * {@code 16 + i} (above the ISA interrupts, so it shares a pin with nothing): Linux names them vda, vdb, ... in that
 * order. A handover passes the images' open descriptors, their locks with them, to the standby, which attaches
 * the same devices around them.
 */
public record VmDisk(Path path, VirtioBlock device) {
    /** The IOAPIC's inputs 16-23 are free of ISA interrupts: one each. */
    public static final int MAX = 8;
    private static final int FIRST_IRQ = 16;

    /** An image to attach, opened (and locked) by whoever attaches it. */
    public record Image(Path path, ImageFile file, boolean readOnly) {
    }

    /** What the MP table says about {@code disks} disks' interrupts. */
    public static List<MpTable.PciInterrupt> interrupts(int disks) {
        List<MpTable.PciInterrupt> out = new ArrayList<>();
        for (int i = 0; i < disks; i++) {
            out.add(new MpTable.PciInterrupt(i + 1, FIRST_IRQ + i));
        }
        return out;
    }

    public boolean readOnly() {
        return device.readOnly();
    }

    /** As {@code info} shows it, and a handover's offer carries it. */
    public InstanceInfo.Disk info() {
        return new InstanceInfo.Disk(path.toString(), readOnly());
    }

    /** The device state a VM's disk {@code i} moves under in a handover. */
    public static String stateName(int i) {
        return "virtio-blk" + i;
    }

    /** Attaches the disks to a created VM (before it starts); their images then close with the VM. */
    public static List<VmDisk> attach(VirtualMachine vm, List<Image> images) {
        if (images.isEmpty()) {
            return List.of();
        }
        if (images.size() > MAX) {
            throw new IllegalArgumentException("a VM has at most " + MAX + " disks, not " + images.size());
        }
        PciBus bus = new PciBus();
        VcpuGate gate = vm.gate();
        List<VmDisk> disks = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            Image image = images.get(i);
            int irq = FIRST_IRQ + i;
            VirtioBlock device = new VirtioBlock(vm.memory(), image.file(), image.readOnly(),
                    "hfvisor-" + vm.config().name() + "-" + i, VirtioBlock.DEFAULT_BAR + (long) i * VirtioBlock.BAR_SIZE,
                    irq, high -> vm.kvmVm().irqLine(irq, high), gate::pausing, vm::deferDeviceWork);
            if (bus.add(device) != i + 1) {
                throw new IllegalStateException("disk " + i + " is not in PCI slot " + (i + 1));
            }
            vm.addMmioDevice(device);
            vm.addDeviceState(stateName(i), device);
            disks.add(new VmDisk(image.path(), device));
        }
        vm.addStatefulDevice(PciBus.STATE_NAME, PciBus.ADDRESS_PORT, PciBus.PORTS, bus);
        vm.setDisks(disks);
        return disks;
    }
}
