package dev.hyperfresh.bench;

import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.vmm.cli.VmSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bin/bench-replace}'s command line. {@code qemuAccel} is null when not given: {@link QemuAccelChoice}
 * decides.
 */
record BenchArgs(int runs, List<Backend> backends, List<Long> mems, List<Integer> cpus, List<Integer> vmCounts,
                 List<Boolean> loads, Path launcher, Path kernel, Accelerator qemuAccel, int qemuNics, Path out) {
    static final String USAGE = """
            usage: bench-replace [--runs N] [--backends hfvisor-remap,hfvisor-copy,qemu-shared,qemu-copy,qemu-own]
                                 [--modes remap,copy (= --backends hfvisor-remap,hfvisor-copy)] [--mem 256M,1G,...]
                                 [--cpus 1,2,4] [--vms 1,2] [--load busy|idle|both] [--qemu-accel kvm|tcg]
                                 [--qemu-nics N] [--launcher PATH] [--kernel hfguest.bin] [--out DIR]""";

    static BenchArgs parse(String... args) {
        int runs = 20;
        List<Backend> backends = List.of(Backend.HFVISOR_REMAP);
        List<Long> mems = List.of(256L << 20);
        List<Integer> cpus = List.of(1);
        List<Integer> vmCounts = List.of(1);
        List<Boolean> loads = List.of(true);
        Path launcher = Path.of("bin/hfvisor");
        Path kernel = Path.of("vmm/target/hfguest/hfguest.bin");
        Accelerator qemuAccel = null;
        int qemuNics = 0;
        Path out = Path.of("bench/results");
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            String v = args[i + 1];
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(v);
                case "--backends" -> backends = split(v).stream().map(Backend::parse).toList();
                case "--modes" -> backends = split(v).stream().map(Backend::ofHfvisorMode).toList();
                case "--mem" -> mems = split(v).stream().map(BenchArgs::bytes).toList();
                case "--cpus" -> cpus = ints(v);
                case "--vms" -> vmCounts = ints(v);
                case "--load" -> loads = loads(v);
                case "--launcher" -> launcher = Path.of(v);
                case "--kernel" -> kernel = Path.of(v);
                case "--qemu-accel" -> qemuAccel = Accelerator.parse(v);
                case "--qemu-nics" -> qemuNics = Integer.parseInt(v);
                case "--out" -> out = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        return new BenchArgs(runs, backends, mems, cpus, vmCounts, loads, launcher, kernel, qemuAccel, qemuNics, out);
    }

    boolean anyQemu() {
        return backends.stream().anyMatch(Backend::isQemu);
    }

    /**
     * Every (size, vCPUs, VMs, load, backend) combination, backends innermost so that they sit side by side in the
     * table. A QEMU process runs one VM, so QEMU rows exist only for one VM per instance.
     */
    List<Scenario> scenarios() {
        List<Scenario> all = new ArrayList<>();
        for (long mem : mems) {
            for (int c : cpus) {
                for (int n : vmCounts) {
                    for (boolean busy : loads) {
                        for (Backend b : backends) {
                            if (!b.isQemu() || n == 1) {
                                all.add(new Scenario(b, mem, c, n, busy));
                            }
                        }
                    }
                }
            }
        }
        return all;
    }

    private static List<String> split(String s) {
        return List.of(s.split(","));
    }

    private static List<Integer> ints(String s) {
        return split(s).stream().map(Integer::parseInt).toList();
    }

    private static List<Boolean> loads(String s) {
        return switch (s) {
            case "busy" -> List.of(true);
            case "idle" -> List.of(false);
            case "both" -> List.of(false, true);
            default -> throw new IllegalArgumentException("--load is busy, idle or both, not " + s);
        };
    }

    /**
     * A --mem size, parsed as hfvisor's {@code --vm mem=} is; both chains hand the VM whole MiB, so anything else
     * is refused here rather than rounded down there.
     */
    private static long bytes(String s) {
        long bytes = VmSpec.parseSize(s);
        if (bytes % (1L << 20) != 0) {
            throw new IllegalArgumentException("--mem " + s + " is " + bytes
                    + " bytes; the bench sizes VMs in whole MiB (e.g. 256M, 1G)");
        }
        return bytes;
    }
}
