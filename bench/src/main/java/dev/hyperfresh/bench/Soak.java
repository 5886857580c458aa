package dev.hyperfresh.bench;

import dev.hyperfresh.engine.EngineConfig;
import dev.hyperfresh.engine.EngineException;
import dev.hyperfresh.engine.HfvisorEngine;
import dev.hyperfresh.engine.LaunchRequest;
import dev.hyperfresh.engine.ReplaceReport;
import dev.hyperfresh.engine.Verification;
import dev.hyperfresh.progress.ProgressListener;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The soak: RUNS consecutive live replacements of one busy hfguest, each verified by the guest's own heartbeats
 * (every sequence number once, no memory or canary error, TSC never backwards), as `hyperfresh replace` does them
 * but in one JVM. Stops at the first replacement that is not committed and verified, and exits 1; prints one line per
 * replacement and a summary. With {@code --devices} the VM also has a disk (a sparse 64 MiB image) and a NIC (on a
 * tap the VM's instance makes), whose descriptors every replacement hands on: the summary compares the instance's
 * open descriptors after the first replacement and after the last (a leak would grow them). Usage: {@code bin/soak
 * [--runs 1000] [--mem 512M] [--cpus 2] [--verify-ms 300] [--devices]}.
 */
public final class Soak {
    private Soak() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = options(args);
        Path launcher = Path.of(a.getOrDefault("--launcher", "bin/hfvisor"));
        int runs = Integer.parseInt(a.getOrDefault("--runs", "1000"));
        String mem = a.getOrDefault("--mem", "512M");
        int cpus = Integer.parseInt(a.getOrDefault("--cpus", "2"));
        Duration window = Duration.ofMillis(Long.parseLong(a.getOrDefault("--verify-ms", "300")));
        Path dir = Files.createTempDirectory("hf-soak", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, launcher, Duration.ofMinutes(5)));
        boolean devices = a.containsKey("--devices");
        String vm = "name=g,mem=" + mem + ",cpus=" + cpus;
        if (devices) {
            Path image = dir.resolve("g.img");
            try (var f = new RandomAccessFile(image.toFile(), "rw")) {
                f.setLength(64 << 20);
            }
            vm += ",disk=" + image + ",net=hfsoak" + ProcessHandle.current().pid() % 100000;
        }
        System.out.printf("# soak: %d live replacements of a busy %d-vCPU hfguest (%s%s), verify window %d ms; %s%n",
                runs, cpus, mem, devices ? ", a disk and a NIC" : "", window.toMillis(), HostKvm.describe());
        engine.launch(new LaunchRequest("soak", List.of(vm)), ProgressListener.NONE);
        long[] blackouts = new long[runs];
        long heartbeats = 0;
        long firstFds = -1, lastFds = -1;
        int done = 0;
        try {
            for (; done < runs; done++) {
                ReplaceReport r = engine.replacement("soak").replace(null, window, ProgressListener.NONE);
                Verification v = r.verification();
                blackouts[done] = r.blackoutUs();
                heartbeats += v == null ? 0 : v.heartbeats();
                System.out.printf("%d %s blackout_us=%d verified=%s%s%n", done + 1, r.outcome(), r.blackoutUs(),
                        r.verified(), v == null ? "" : " heartbeats=" + v.heartbeats() + " lost=" + v.seqGaps()
                                + " repeated=" + v.seqDuplicates() + " merr=" + v.memoryErrors() + " cerr="
                                + v.canaryErrors() + (v.ok() ? "" : " problems=" + v.problems()));
                if (!r.verified()) {
                    System.out.println("# FAILED at replacement " + (done + 1) + ": " + r.reason());
                    System.exit(1);
                }
                lastFds = openDescriptors(r.after().pid());
                firstFds = firstFds < 0 ? lastFds : firstFds;
            }
        } catch (EngineException e) {
            System.out.println("# FAILED at replacement " + (done + 1) + ": " + e.getMessage());
            System.exit(1);
        } finally {
            try {
                engine.stop("soak", null);
            } catch (EngineException gone) {
                System.out.println("# could not stop the soak instance: " + gone.getMessage());
            }
        }
        long[] ok = Arrays.stream(blackouts, 0, done).filter(b -> b >= 0).toArray();
        Stats s = Stats.of(ok);
        System.out.printf("# %d/%d committed and verified; %d heartbeats checked, 0 lost, 0 guest errors; blackout"
                + " median %d us, p99 %d us, max %d us; the instance's open descriptors %d after the first, %d after"
                + " the last%n", done, runs, heartbeats, s.median(), s.p99(), s.max(), firstFds, lastFds);
    }

    private static long openDescriptors(long pid) throws IOException {
        try (var fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            return fds.count();
        }
    }

    private static final List<String> OPTIONS = List.of("--launcher", "--runs", "--mem", "--cpus", "--verify-ms");

    private static Map<String, String> options(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        while (i < args.length) {
            if (args[i].equals("--devices")) {
                out.put(args[i++], "");
            } else if (OPTIONS.contains(args[i]) && i + 1 < args.length) {
                out.put(args[i], args[i + 1]);
                i += 2;
            } else {
                System.err.println("usage: soak [--runs N] [--mem SIZE] [--cpus N] [--verify-ms MS] [--devices]"
                        + " [--launcher PATH]");
                System.exit(2);
            }
        }
        return out;
    }
}
