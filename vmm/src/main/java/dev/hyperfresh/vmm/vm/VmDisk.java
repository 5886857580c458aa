package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.sys.ImageFile;
import dev.hyperfresh.vmm.boot.linux.MpTable;
import dev.hyperfresh.vmm.devices.pci.PciBus;
import dev.hyperfresh.vmm.devices.virtio.VirtioBlock;
import java.nio.file.Path;

/**
 * A VM's disk: PCI bus 0 (configuration mechanism #1) with a virtio block device in slot 1 over a raw image,
 * INTA# on IOAPIC input 16 (above the ISA interrupts, so it shares a pin with none of them). A handover passes
 * the image's open descriptor, its lock with it, to the standby, which attaches the same devices around it.
 */
public record VmDisk(Path path, boolean readOnly, VirtioBlock device) {
    public static final int SLOT = 1, IRQ = 16;
    public static final MpTable.PciInterrupt INTERRUPT = new MpTable.PciInterrupt(SLOT, IRQ);
    public static final String STATE_NAME = "virtio-blk";

    /** Attaches the disk to a created VM (before it starts); the image then closes with the VM. */
    public static VmDisk attach(VirtualMachine vm, Path path, ImageFile image, boolean readOnly) {
        PciBus bus = new PciBus();
        VcpuGate gate = vm.gate();
        VirtioBlock device = new VirtioBlock(vm.memory(), image, readOnly, "hfvisor-" + vm.config().name(), IRQ,
                high -> vm.kvmVm().irqLine(IRQ, high), gate::pausing, vm::deferDeviceWork);
        if (bus.add(device) != SLOT) {
            throw new IllegalStateException("the disk is not in PCI slot " + SLOT);
        }
        vm.addStatefulDevice(PciBus.STATE_NAME, PciBus.ADDRESS_PORT, PciBus.PORTS, bus);
        vm.addMmioDevice(device);
        vm.addDeviceState(STATE_NAME, device);
        VmDisk disk = new VmDisk(path, readOnly, device);
        vm.setDisk(disk);
        return disk;
    }
}
