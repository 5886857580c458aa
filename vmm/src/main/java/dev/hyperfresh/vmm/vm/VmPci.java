package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.vmm.boot.linux.MpTable;
import dev.hyperfresh.vmm.devices.pci.PciBus;
import dev.hyperfresh.vmm.devices.virtio.VirtioBlock;
import dev.hyperfresh.vmm.devices.virtio.VirtioNet;
import dev.hyperfresh.vmm.devices.virtio.VirtioPciDevice;
import java.util.ArrayList;
import java.util.List;

/**
 * A VM's PCI bus 0 (configuration mechanism #1): its disks, then its network interfaces. Device {@code k} in that
 * order sits in slot {@code k + 1} with its BAR after the one before, its INTA# on IOAPIC input {@code 16 + k}
 * (above the ISA interrupts, so it shares a pin with nothing). A standby attaches the same bus around the
 * descriptors a handover passed, before the state arrives.
 */
public final class VmPci {
    /** The IOAPIC's inputs 16-23 are free of ISA interrupts: one each. */
    public static final int MAX_DEVICES = 8;
    private static final int FIRST_IRQ = 16;

    private VmPci() {
    }

    /** What the MP table says about {@code devices} devices' interrupts. */
    public static List<MpTable.PciInterrupt> interrupts(int devices) {
        List<MpTable.PciInterrupt> out = new ArrayList<>();
        for (int k = 0; k < devices; k++) {
            out.add(new MpTable.PciInterrupt(k + 1, FIRST_IRQ + k));
        }
        return out;
    }

    /**
     * Attaches the disks and interfaces to a created VM (before it starts); their images and taps then close with
     * the VM, and are closed here if this fails.
     */
    public static void attach(VirtualMachine vm, List<VmDisk.Image> images, List<VmNic.Tap> taps) {
        if (images.isEmpty() && taps.isEmpty()) {
            return;
        }
        List<VmDisk> disks = new ArrayList<>();
        List<VmNic> nics = new ArrayList<>();
        try {
            if (images.size() + taps.size() > MAX_DEVICES) {
                throw new IllegalArgumentException("a VM has at most " + MAX_DEVICES + " disks and network"
                        + " interfaces together, not " + (images.size() + taps.size()));
            }
            PciBus bus = new PciBus();
            VcpuGate gate = vm.gate();
            for (int i = 0; i < images.size(); i++) {
                VmDisk.Image image = images.get(i);
                int k = i, irq = FIRST_IRQ + k;
                VirtioBlock device = new VirtioBlock(vm.memory(), image.file(), image.readOnly(),
                        "hfvisor-" + vm.config().name() + "-" + i, bar(k), irq, high -> vm.kvmVm().irqLine(irq, high),
                        gate::pausing, vm::deferDeviceWork);
                plug(vm, bus, device, k, VmDisk.stateName(i));
                disks.add(new VmDisk(image.path(), device));
            }
            for (int i = 0; i < taps.size(); i++) {
                VmNic.Tap tap = taps.get(i);
                int k = images.size() + i, irq = FIRST_IRQ + k;
                VirtioNet device = new VirtioNet(vm.memory(), tap.tap(), VmNic.bytes(tap.mac()),
                        vm.config().name() + "-" + i, bar(k), irq, high -> vm.kvmVm().irqLine(irq, high),
                        gate::pausing, vm::deferDeviceWork);
                nics.add(new VmNic(device));
                plug(vm, bus, device, k, VmNic.stateName(i));
            }
            vm.addStatefulDevice(PciBus.STATE_NAME, PciBus.ADDRESS_PORT, PciBus.PORTS, bus);
        } catch (RuntimeException e) {
            nics.forEach(n -> n.device().close());   // their receivers first, then the descriptors they poll
            images.forEach(i -> i.file().close());
            taps.forEach(t -> t.tap().close());
            throw e;
        }
        vm.setPciDevices(disks, nics);
    }

    private static long bar(int k) {
        return VirtioPciDevice.DEFAULT_BAR + (long) k * VirtioPciDevice.BAR_SIZE;
    }

    private static void plug(VirtualMachine vm, PciBus bus, VirtioPciDevice device, int k, String stateName) {
        if (bus.add(device) != k + 1) {
            throw new IllegalStateException(stateName + " is not in PCI slot " + (k + 1));
        }
        vm.addMmioDevice(device);
        vm.addDeviceState(stateName, device);
    }
}
