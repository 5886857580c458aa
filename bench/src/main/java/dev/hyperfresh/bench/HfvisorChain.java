package dev.hyperfresh.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.control.Json;
import dev.hyperfresh.vmm.heartbeat.CutoverGap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Real hfvisor processes running hfguest, handed over in a chain: the blackout and phases hfvisor measured, the
 * total time (standby start excluded: prepare + cutover as the operator waits for them) and hfguest's own view
 * from the heartbeats the instances publish.
 */
final class HfvisorChain implements ReplacementChain {
    private final Path launcher;
    private final Path dir;
    private final Scenario s;
    private final String accel;
    private final List<Process> processes = new ArrayList<>();

    HfvisorChain(Path launcher, Path dir, Scenario s, String accel) {
        this.launcher = launcher;
        this.dir = dir;
        this.s = s;
        this.accel = accel;
    }

    @Override
    public List<Sample> run(int runs) throws Exception {
        String name = "bench-" + System.nanoTime();
        List<String> args = new ArrayList<>();
        for (int v = 0; v < s.vms(); v++) {
            args.add("--vm");
            args.add("name=vm" + v + ",mem=" + Scenario.size(s.memoryBytes()) + ",cpus=" + s.vcpus()
                    + ",console=none,cmdline=" + s.guestArgs());
        }
        Path socket = start(name, args);
        GuestMeter meter = new GuestMeter("vm0");
        List<ControlClient> subs = new ArrayList<>();
        subs.add(subscribe(socket, meter.from(0)));
        meter.awaitBeats(20 * s.vcpus(), 120_000);
        List<Sample> out = new ArrayList<>();
        try {
            for (int r = 1; r <= runs; r++) {
                Path standby = start(name + "-next" + r, List.of("--standby"));
                subs.add(subscribe(standby, meter.from(r)));
                Thread.sleep(1000);
                long t0 = System.nanoTime();
                JsonNode prepared = request(socket, Json.object().put("op", "handover-prepare")
                        .put("target", standby.toString()).put("memory", s.backend().hfvisorMode().wireName()))
                        .get("prepare");
                long t1 = System.nanoTime();
                JsonNode cut = request(socket, Json.object().put("op", "handover-cutover")).get("cutover");
                long t2 = System.nanoTime();
                meter.awaitBeats(10 * s.vcpus(), 60_000);
                Thread.sleep(1000);
                CutoverGap.Figures gap = meter.cutoverAfter(r - 1);
                Map<String, Long> phases = new LinkedHashMap<>();
                cut.path("phasesUs").fields().forEachRemaining(e -> phases.put(e.getKey(), e.getValue().asLong()));
                out.add(new Sample(s, accel, r, cut.path("blackoutUs").asLong(), -1, (t2 - t0) / 1000, -1,
                        (t1 - t0) / 1000,
                        prepared.path("populateUs").asLong(), phases, GuestMeter.orUnmeasured(gap.guestGapUs()),
                        GuestMeter.orUnmeasured(gap.controlGapUs()),
                        meter.pagesPerSecond(t1 - 1_000_000_000L, t1), meter.pagesPerSecond(t2, t2 + 1_000_000_000L),
                        prepared.path("bytesCopied").asLong() + cut.path("bytesCopied").asLong(),
                        cut.path("outcome").asText(), Map.of()));
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

    private static ControlClient subscribe(Path socket, Consumer<Event> meter) {
        ControlClient c = ControlClient.connect(socket);
        c.subscribe(meter);
        return c;
    }

    private static JsonNode request(Path socket, ObjectNode header) {
        try (ControlClient c = ControlClient.connect(socket)) {
            return c.request(header).header();
        }
    }
}
