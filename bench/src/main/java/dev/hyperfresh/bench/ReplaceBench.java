package dev.hyperfresh.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.vmm.control.Json;
import dev.hyperfresh.vmm.control.MemoryMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/bench-replace}: live replacements of real hfvisor processes running hfguest, measured. For each
 * scenario it starts an instance, then replaces it RUNS times in a chain (each new instance is the next one's
 * old), recording the blackout and phases hfvisor measured, the total time (standby start excluded: prepare +
 * cutover as the operator waits for them), and hfguest's own view (throughput around the switch, largest gap).
 * Writes CSV, a markdown table and a PNG chart.
 */
public final class ReplaceBench {
    private static final String USAGE = """
            usage: bench-replace [--runs N] [--modes remap,copy] [--mem 256M,1G,...] [--cpus 1,2,4] [--vms 1,2]
                                 [--load busy|idle|both] [--launcher PATH] [--out DIR]""";

    private ReplaceBench() {
    }

    public static void main(String[] args) throws Exception {
        int runs = 20;
        List<String> modes = List.of("remap");
        List<Long> mems = List.of(256L << 20);
        List<Integer> cpus = List.of(1);
        List<Integer> vmCounts = List.of(1);
        List<Boolean> loads = List.of(true);
        Path launcher = Path.of("bin/hfvisor");
        Path out = Path.of("bench/results");
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--modes" -> modes = split(args[++i]).stream().map(m -> MemoryMode.of(m).wireName()).toList();
                case "--mem" -> mems = split(args[++i]).stream().map(ReplaceBench::bytes).toList();
                case "--cpus" -> cpus = split(args[++i]).stream().map(Integer::parseInt).toList();
                case "--vms" -> vmCounts = split(args[++i]).stream().map(Integer::parseInt).toList();
                case "--load" -> loads = switch (args[++i]) {
                    case "busy" -> List.of(true);
                    case "idle" -> List.of(false);
                    case "both" -> List.of(false, true);
                    default -> throw new IllegalArgumentException("--load is busy, idle or both, not " + v);
                };
                case "--launcher" -> launcher = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> {
                    System.err.println(USAGE);
                    System.exit(2);
                }
            }
        }
        String kvm = HostKvm.describe();
        System.out.println("# bench-replace on " + kvm + ", " + runs + " runs per scenario");
        Files.createDirectories(out);
        Path sockets = Files.createTempDirectory("hf-bench");
        List<Sample> samples = new ArrayList<>();
        for (long mem : mems) {
            for (int c : cpus) {
                for (int n : vmCounts) {
                    for (boolean busy : loads) {
                        for (String mode : modes) {
                            Scenario s = new Scenario(mode, mem, c, n, busy);
                            List<Sample> got = new Chain(launcher, sockets, s).run(runs);
                            samples.addAll(got);
                            BenchResults.printSummary(s, got);
                        }
                    }
                }
            }
        }
        BenchResults.write(out, kvm, samples);
        System.out.println("# wrote " + out.resolve("replace.csv") + ", replace.md, replace.png");
    }

    /** One scenario: an instance replaced RUNS times in a row. */
    private static final class Chain {
        private final Path launcher;
        private final Path dir;
        private final Scenario s;
        private final List<Process> processes = new ArrayList<>();

        Chain(Path launcher, Path dir, Scenario s) {
            this.launcher = launcher;
            this.dir = dir;
            this.s = s;
        }

        List<Sample> run(int runs) throws Exception {
            String name = "bench-" + System.nanoTime();
            List<String> args = new ArrayList<>();
            for (int v = 0; v < s.vms(); v++) {
                args.add("--vm");
                args.add("name=vm" + v + ",mem=" + Scenario.size(s.memoryBytes()) + ",cpus=" + s.vcpus()
                        + ",console=none,cmdline=cpus=" + s.vcpus() + " mem_pct=" + (s.busy() ? 60 : 0));
            }
            Path socket = start(name, args);
            GuestMeter meter = new GuestMeter("vm0");
            List<ControlClient> subs = new ArrayList<>();
            subs.add(subscribe(socket, meter));
            meter.awaitBeats(20 * s.vcpus(), 120_000);
            List<Sample> out = new ArrayList<>();
            try {
                for (int r = 1; r <= runs; r++) {
                    Path standby = start(name + "-next" + r, List.of("--standby"));
                    subs.add(subscribe(standby, meter));
                    Thread.sleep(1000);
                    long t0 = System.nanoTime();
                    JsonNode prepared = request(socket, Json.object().put("op", "handover-prepare")
                            .put("target", standby.toString()).put("memory", s.mode())).get("prepare");
                    long t1 = System.nanoTime();
                    JsonNode cut = request(socket, Json.object().put("op", "handover-cutover")).get("cutover");
                    long t2 = System.nanoTime();
                    meter.awaitBeats(10 * s.vcpus(), 60_000);
                    Thread.sleep(1000);
                    Map<String, Long> phases = new LinkedHashMap<>();
                    cut.path("phasesUs").fields().forEachRemaining(e -> phases.put(e.getKey(), e.getValue().asLong()));
                    out.add(new Sample(s, r, cut.path("blackoutUs").asLong(), (t2 - t0) / 1000, (t1 - t0) / 1000,
                            prepared.path("populateUs").asLong(), phases, meter.gapMicrosSince(t1),
                            meter.pagesPerSecond(t1 - 1_000_000_000L, t1), meter.pagesPerSecond(t2, t2 + 1_000_000_000L),
                            prepared.path("bytesCopied").asLong() + cut.path("bytesCopied").asLong(),
                            cut.path("outcome").asText()));
                }
            } finally {
                try {
                    request(socket, Json.object().put("op", "stop"));
                } catch (RuntimeException e) {
                    // already gone
                }
                subs.forEach(ControlClient::close);
                processes.forEach(Process::destroyForcibly);
            }
            return out;
        }

        private Path start(String name, List<String> args) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "--name", name, "--socket-dir",
                    dir.toString()));
            cmd.addAll(args);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve(name + ".log").toFile()).start();
            processes.add(p);
            Path socket = dir.resolve(name + ".sock");
            long deadline = System.currentTimeMillis() + 180_000;
            while (System.currentTimeMillis() < deadline) {
                if (!p.isAlive()) {
                    throw new IllegalStateException(name + " exited: " + Files.readString(dir.resolve(name + ".log")));
                }
                if (Files.exists(socket)) {
                    try (ControlClient c = ControlClient.connect(socket)) {
                        c.ping();
                        return socket;
                    } catch (RuntimeException notYet) {
                        // not accepting yet
                    }
                }
                Thread.sleep(20);
            }
            throw new IllegalStateException(name + " did not come up within 180 s");
        }
    }

    private static ControlClient subscribe(Path socket, GuestMeter meter) {
        ControlClient c = ControlClient.connect(socket);
        c.subscribe(meter);
        return c;
    }

    private static JsonNode request(Path socket, com.fasterxml.jackson.databind.node.ObjectNode header) {
        try (ControlClient c = ControlClient.connect(socket)) {
            return c.request(header).header();
        }
    }

    private static List<String> split(String s) {
        return List.of(s.split(","));
    }

    static long bytes(String s) {
        long unit = switch (Character.toUpperCase(s.charAt(s.length() - 1))) {
            case 'G' -> 1L << 30;
            case 'M' -> 1L << 20;
            default -> throw new IllegalArgumentException("size " + s + " needs a unit M or G");
        };
        return Long.parseLong(s.substring(0, s.length() - 1)) * unit;
    }
}
