package dev.hyperfresh.vmm.cli;

import dev.hyperfresh.vmm.boot.linux.LinuxGuestBuild;
import dev.hyperfresh.vmm.vm.VmConfig;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.vm.VmNic;
import dev.hyperfresh.vmm.vm.VmPci;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One {@code --vm} option: {@code name=demo,mem=256M,cpus=2[,guest=hfguest|linux][,kernel=PATH][,initrd=PATH]
 * [,disk=PATH]...[,disk-ro=PATH]...[,net=TAP[/MAC]]...[,reboot=restart|poweroff][,cmdline=TEXT][,hugepages]
 * [,console=stdout|none|PATH]}. A cmdline
 * containing commas goes last: everything after {@code cmdline=} belongs to it. {@code guest=linux} without
 * {@code kernel=} boots the build of guests/linux/fetch-and-build.sh (kernel and initramfs). Each {@code disk=}
 * gives the VM a virtio block device over a raw image, {@code disk-ro=} one the guest cannot write, in the order
 * given (a Linux guest's {@code /dev/vda}, {@code vdb}, ...); each {@code net=} a virtio network interface on
 * host tap {@code TAP} (eth0, eth1, ...; the tap is made if it does not exist), with MAC address {@code MAC} or
 * one derived from the tap's name. hfguest has no driver for either, so there they only move with the VM. A reset
 * (the guest's reboot, the operator's {@code reset}) boots the VM again, or with {@code reboot=poweroff} powers
 * it off.
 */
public record VmSpec(String name, long memoryBytes, int vcpus, String guest, Path kernel, Path initrd,
                     String cmdline, boolean hugePages, String console, List<Disk> disks,
                     List<InstanceInfo.Nic> nics, boolean rebootRestarts) {
    private static final String DISK = "disk", DISK_RO = "disk-ro", NET = "net", REBOOT = "reboot";
    private static final Set<String> KEYS = Set.of("name", "mem", "cpus", "guest", "kernel", "initrd", "cmdline",
            "hugepages", "console", DISK, DISK_RO, NET, REBOOT);

    /** A disk as the spec names it: its image, absolute, and whether the guest may only read it. */
    public record Disk(Path path, boolean readOnly) {
    }

    public static VmSpec parse(String text) {
        return parse(text, LinuxGuestBuild.standard());
    }

    static VmSpec parse(String text, LinuxGuestBuild linuxGuest) {
        Map<String, String> kv = new LinkedHashMap<>();
        List<Disk> disks = new ArrayList<>();
        List<String> nets = new ArrayList<>();
        String rest = text;
        int cmd = rest.indexOf("cmdline=");
        if (cmd >= 0) {
            kv.put("cmdline", rest.substring(cmd + "cmdline=".length()));
            rest = rest.substring(0, cmd);
        }
        for (String part : rest.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            String key = eq < 0 ? part : part.substring(0, eq);
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown --vm key '" + key + "' in '" + text + "'; known: "
                        + String.join(", ", new java.util.TreeSet<>(KEYS)));
            }
            if (key.equals(DISK) || key.equals(DISK_RO)) {   // repeatable, in order: vda, vdb, ...
                disks.add(new Disk(existing(key, eq < 0 ? "" : part.substring(eq + 1)).toAbsolutePath().normalize(),
                        key.equals(DISK_RO)));
                continue;
            }
            if (key.equals(NET)) {   // repeatable, in order: eth0, eth1, ...
                nets.add(eq < 0 ? "" : part.substring(eq + 1));
                continue;
            }
            if (kv.put(key, eq < 0 ? "" : part.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("--vm key '" + key + "' given twice in '" + text + "'");
            }
        }
        String name = kv.getOrDefault("name", "vm0");
        long mem = parseSize(kv.getOrDefault("mem", "256M"));
        int cpus = parseInt("cpus", kv.getOrDefault("cpus", "1"));
        String guest = kv.getOrDefault("guest", kv.containsKey("kernel") ? VmConfig.LINUX : VmConfig.HFGUEST);
        if (!guest.equals(VmConfig.HFGUEST) && !guest.equals(VmConfig.LINUX)) {
            throw new IllegalArgumentException("guest must be hfguest or linux, got '" + guest + "'");
        }
        Path kernel = kv.containsKey("kernel") ? existing("kernel", kv.get("kernel")) : null;
        Path initrd = kv.containsKey("initrd") ? existing("initrd", kv.get("initrd")) : null;
        if (guest.equals(VmConfig.HFGUEST) && (kernel != null || initrd != null)) {
            throw new IllegalArgumentException("kernel= and initrd= are for guest=linux; hfguest is built in");
        }
        if (guest.equals(VmConfig.LINUX) && kernel == null) {
            LinuxGuestBuild build = linuxGuest.requireBuilt();
            kernel = build.kernel();
            initrd = initrd != null ? initrd : build.initrd();
        }
        if (disks.size() + nets.size() > VmPci.MAX_DEVICES) {
            throw new IllegalArgumentException("a VM has at most " + VmPci.MAX_DEVICES + " disks and network"
                    + " interfaces together, not " + (disks.size() + nets.size()));
        }
        if (disks.stream().map(Disk::path).distinct().count() < disks.size()) {
            throw new IllegalArgumentException("a disk image is given twice in '" + text + "'");
        }
        List<InstanceInfo.Nic> nics = new ArrayList<>();
        for (String net : nets) {
            int slash = net.indexOf('/');
            String tap = slash < 0 ? net : net.substring(0, slash);
            if (tap.isEmpty()) {
                throw new IllegalArgumentException("net= needs a tap interface's name, e.g. net=tap0 or "
                        + "net=tap0/52:54:00:12:34:56");
            }
            nics.add(new InstanceInfo.Nic(tap, slash < 0 ? VmNic.defaultMac(tap)
                    : VmNic.mac(net.substring(slash + 1))));
        }
        if (nics.stream().map(InstanceInfo.Nic::tap).distinct().count() < nics.size()) {
            throw new IllegalArgumentException("a tap is given twice in '" + text + "'");
        }
        String reboot = kv.getOrDefault(REBOOT, InstanceInfo.Vm.REBOOT_RESTART);
        if (!reboot.equals(InstanceInfo.Vm.REBOOT_RESTART) && !reboot.equals(InstanceInfo.Vm.REBOOT_POWEROFF)) {
            throw new IllegalArgumentException("reboot must be restart or poweroff, got '" + reboot + "'");
        }
        VmConfig.check(name, mem, cpus, kv.containsKey("hugepages"));
        return new VmSpec(name, mem, cpus, guest, kernel, initrd, kv.getOrDefault("cmdline", ""),
                kv.containsKey("hugepages"), kv.getOrDefault("console", "stdout"), List.copyOf(disks),
                List.copyOf(nics), reboot.equals(InstanceInfo.Vm.REBOOT_RESTART));
    }

    /** Sizes like 256M, 4G, 1048576 (bytes), 512K. */
    public static long parseSize(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("IB")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("B")) {
            t = t.substring(0, t.length() - 1);
        }
        switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'K' -> unit = 1L << 10;
            case 'M' -> unit = 1L << 20;
            case 'G' -> unit = 1L << 30;
            case 'T' -> unit = 1L << 40;
            default -> unit = 1;
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            long v = Long.parseLong(digits);
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(v, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("not a size: '" + s + "' (use e.g. 256M, 4G)");
        }
    }

    private static int parseInt(String key, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + v + "'");
        }
    }

    private static Path existing(String key, String v) {
        Path p = Path.of(v);
        if (!Files.isReadable(p)) {
            throw new IllegalArgumentException(key + " file not readable: " + p);
        }
        return p;
    }
}
