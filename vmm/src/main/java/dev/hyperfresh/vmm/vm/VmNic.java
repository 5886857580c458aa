package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.sys.TapDevice;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.devices.virtio.VirtioNet;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * One of a VM's network interfaces: a virtio network device on a host tap, on the VM's PCI bus 0 after its disks
 * ({@link VmPci}); Linux names them eth0, eth1, ... in that order. A handover passes the tap's open descriptor to
 * the standby (the tap stays attached to that one open file, so no other process can take it meanwhile), which
 * attaches the same device around it; frames the host sends during the cutover wait in the tap's queue.
 */
public record VmNic(VirtioNet device) {
    private static final Pattern MAC = Pattern.compile("\\p{XDigit}{2}(:\\p{XDigit}{2}){5}");

    /** A tap to attach, opened by whoever attaches it, and the MAC address the guest is told. */
    public record Tap(TapDevice tap, String mac) {
    }

    public String tap() {
        return device.tap().name();
    }

    public String mac() {
        return HexFormat.ofDelimiter(":").formatHex(device.mac());
    }

    /** As {@code info} shows it, and a handover's offer carries it. */
    public InstanceInfo.Nic info() {
        return new InstanceInfo.Nic(tap(), mac(), device.tap().gone());
    }

    /** The device state a VM's interface {@code i} moves under in a handover. */
    public static String stateName(int i) {
        return "virtio-net" + i;
    }

    /**
     * The MAC address {@code text} (six hex pairs with colons), checked: a unicast address (a multicast one would
     * be refused by the guest's driver).
     */
    public static String mac(String text) {
        if (!MAC.matcher(text).matches() || (HexFormat.fromHexDigits(text, 0, 2) & 1) != 0) {
            throw new IllegalArgumentException("'" + text + "' is not a unicast MAC address (like 52:54:00:12:34:56)");
        }
        return text.toLowerCase(Locale.ROOT);
    }

    /**
     * The MAC address of the interface on tap {@code tap} when the operator names none: in QEMU's locally
     * administered 52:54:00 range, made from the tap's name, which one interface on the host has at a time (VMs of
     * the same name in two instances, bridged together, must not share an address), the same on every launch.
     */
    public static String defaultMac(String tap) {
        CRC32 crc = new CRC32();
        crc.update(tap.getBytes(StandardCharsets.UTF_8));
        long v = crc.getValue();
        return String.format("52:54:00:%02x:%02x:%02x", (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    }

    static byte[] bytes(String mac) {
        return HexFormat.ofDelimiter(":").parseHex(mac);
    }
}
