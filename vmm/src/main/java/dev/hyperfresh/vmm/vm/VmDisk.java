package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.sys.ImageFile;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.devices.virtio.VirtioBlock;
import java.nio.file.Path;

/**
 * One of a VM's disks: a virtio block device over a raw image on the VM's PCI bus 0 ({@link VmPci}); Linux names
 * them vda, vdb, ... in order. A handover passes the images' open descriptors, their locks with them, to the
 * standby, which attaches the same devices around them.
 */
public record VmDisk(Path path, VirtioBlock device) {
    /** An image to attach, opened (and locked) by whoever attaches it. */
    public record Image(Path path, ImageFile file, boolean readOnly) {
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
}
