package dev.hyperfresh.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * How long an operator waits from starting {@code bin/hfvisor} to the guest's first heartbeat: starts it RUNS
 * times with one small hfguest VM and prints, per run and as min/median/max in milliseconds, the time from
 * process start to the control socket being up and to the first heartbeat line. The guest powers itself off a
 * moment later, so every run also checks that hfvisor ends cleanly. Usage: {@code bin/bench-launch [RUNS]}.
 */
public final class LaunchBench {
    static final String VM = "name=b,mem=64M,cpus=1,cmdline=exit_after_ms=300";
    private static final int TAIL_LINES = 20;

    private LaunchBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: LaunchBench HFVISOR_LAUNCHER [RUNS]");
            System.exit(2);
        }
        Path launcher = Path.of(args[0]);
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path socketDir = Files.createTempDirectory("hf-bench-launch");
        System.out.printf("# launch to first heartbeat: %d runs of %s --vm %s%n# KVM: %s%n", runs, launcher, VM,
                HostKvm.describe());
        long[] socketMs = new long[runs];
        long[] heartbeatMs = new long[runs];
        for (int i = 0; i < runs; i++) {
            long[] t = launchOnce(launcher, socketDir, i);
            socketMs[i] = t[0];
            heartbeatMs[i] = t[1];
            System.out.printf("run %d: control socket up %d ms, first heartbeat %d ms%n", i + 1, t[0], t[1]);
        }
        print("process start -> control socket up", socketMs);
        print("process start -> first heartbeat  ", heartbeatMs);
    }

    /** Returns {ms to the control-socket line, ms to the first heartbeat line}. */
    private static long[] launchOnce(Path launcher, Path socketDir, int run) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--name", "bench-launch-" + run,
                "--socket-dir", socketDir.toString(), "--vm", VM).redirectErrorStream(true);
        long start = System.nanoTime();
        Process p = pb.start();
        long socketAt = -1;
        long heartbeatAt = -1;
        ArrayDeque<String> tail = new ArrayDeque<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                long now = System.nanoTime();
                if (socketAt < 0 && line.startsWith("hfvisor: ") && line.contains("control socket")) {
                    socketAt = now;
                }
                if (heartbeatAt < 0 && line.contains("] HB cpu=")) {
                    heartbeatAt = now;
                }
                tail.add(line);
                if (tail.size() > TAIL_LINES) {
                    tail.poll();
                }
            }
        }
        int code = p.waitFor();
        if (code != 0 || socketAt < 0 || heartbeatAt < 0) {
            throw new IllegalStateException("run " + (run + 1) + ": hfvisor exited " + code
                    + (heartbeatAt < 0 ? " without a heartbeat" : "") + "; its last lines:\n"
                    + String.join("\n", tail));
        }
        return new long[] {(socketAt - start) / 1_000_000, (heartbeatAt - start) / 1_000_000};
    }

    private static void print(String what, long[] ms) {
        Stats s = Stats.of(ms);
        System.out.printf("%s: median %d ms, min %d ms, max %d ms (%d runs)%n", what, s.median(), s.min(), s.max(),
                s.n());
    }
}
