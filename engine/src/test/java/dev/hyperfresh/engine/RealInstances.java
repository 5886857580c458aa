package dev.hyperfresh.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Flock;
import dev.hyperfresh.sys.ImageFile;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.TapDevice;
import dev.hyperfresh.testkit.FileHolders;
import dev.hyperfresh.vmm.control.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * What the engine's end-to-end KVM tests share: hfvisor launchers on the test's classpath (with a fault, short
 * time-outs), console processes ({@link FaultConsoleMain}), heartbeats, and the checks that nothing of a replacement
 * is left behind in its socket directory or on the host.
 */
final class RealInstances {
    static final String JAVA = ProcessHandle.current().info().command().orElse("java");
    static final String INSTANCE = "vm";
    /** The tap of the case's VM: made by the instance that launches it, gone with the last process holding it. */
    static final String TAP = "hffm" + ProcessHandle.current().pid() % 100000;
    static final Duration PATIENCE = Duration.ofSeconds(90);
    /**
     * The test hfvisors' time-outs: a stall costs seconds, not the production 30 s, yet each is well beyond what its
     * step takes on a loaded host (seen: a standby's start 6 s and a remap 3 s at a load of 24 on 2 cores).
     */
    static final long OFFER_STALL_MS = 5_000;
    static final long CLAIM_WAIT_MS = 5_000;
    static final long REPLY_WAIT_MS = 15_000;
    private static final String TIMEOUTS = "-Dhyperfresh.offer-stall-ms=" + OFFER_STALL_MS
            + " -Dhyperfresh.claim-wait-ms=" + CLAIM_WAIT_MS + " -Dhyperfresh.reply-wait-ms=" + REPLY_WAIT_MS;
    /** C1 and serial GC: a JVM starts much faster, and no timing is asserted. */
    private static final String QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

    private RealInstances() {
    }

    /** A fresh socket directory for one case, ours and 0700 as hfvisor requires. */
    static Path directory(Path root, String name) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        return dir;
    }

    /** The hfvisor command line on this classpath; {@code fault} adds {@code --fault}. */
    static String hfvisorCommand(String fault) {
        return JAVA + " " + QUICK_JVM + " -Dhyperfresh.warmup=3 " + TIMEOUTS + " -cp '"
                + System.getProperty("java.class.path") + "' dev.hyperfresh.vmm.cli.HfvisorMain"
                + (fault == null ? "" : " --fault " + fault);
    }

    /** A launcher that execs hfvisor (so it is the hfvisor process); {@code fault} may be null. */
    static Path launcher(Path dir, String name, String fault) throws IOException {
        return script(dir, name, "exec " + hfvisorCommand(fault) + " \"$@\"");
    }

    static Path script(Path dir, String name, String body) throws IOException {
        Path script = dir.resolve(name);
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    /** A VM name no other test or host process uses: its RAM's memfd is then found by name in /proc. */
    static String vmName(String prefix) {
        return prefix + "x" + ProcessHandle.current().pid();
    }

    static String spec(String vm) {
        return "name=" + vm + ",mem=64M,cpus=1,cmdline=mem_pct=30";
    }

    /**
     * As {@link #spec(String)}, with a disk on {@code image} and a network interface on tap {@link #TAP} (the
     * cmdline stays last: it takes the rest).
     */
    static String spec(String vm, Path image) {
        return "name=" + vm + ",mem=64M,cpus=1,disk=" + image + ",net=" + TAP + ",cmdline=mem_pct=30";
    }

    /**
     * A disk image of 1 MiB for a case's VM. Its lock is the image's own: held (another process asking for it is
     * refused) exactly while the VM lives, by the process that runs it.
     */
    static Path image(Path dir, String vm) throws IOException {
        return Files.write(dir.resolve(vm + ".img"), new byte[1 << 20]);
    }

    /**
     * {@code image} and {@link #TAP} are held by process {@code live} and nobody else, or (live < 0) by nobody: the
     * image's lock and the tap's attachment refuse another process exactly then.
     */
    static void assertImageAndTapHeldOnlyBy(Path image, long live) {
        boolean free;
        try (ImageFile probe = ImageFile.open(image, false)) {
            free = true;
        } catch (IllegalStateException inUse) {
            free = false;
        }
        assertThat(free).as("%s free", image).isEqualTo(live < 0);
        assertThat(FileHolders.of(image)).as("processes holding %s", image)
                .isEqualTo(live > 0 ? List.of(live) : List.of());
        try (TapDevice probe = TapDevice.open(TAP)) {
            free = true;
        } catch (SysException inUse) {
            free = false;
        }
        assertThat(free).as("tap %s free", TAP).isEqualTo(live < 0);
        assertThat(FileHolders.ofTap(TAP)).as("processes attached to tap %s", TAP)
                .isEqualTo(live > 0 ? List.of(live) : List.of());
    }

    /** A console process running one `replace` of {@link #INSTANCE}; {@code phase}/{@code signal} as its main says. */
    static Process console(Path dir, Path standbyLauncher, long startTimeoutMs, String phase, int signal)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(JAVA, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), FaultConsoleMain.class.getName(), dir.toString(), INSTANCE,
                standbyLauncher.toString(), String.valueOf(startTimeoutMs)));
        if (phase != null) {
            cmd.addAll(List.of(phase, String.valueOf(signal)));
        }
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Waits for {@code n} heartbeats of {@code vm} with no guest error in them. */
    static void awaitHeartbeats(HfvisorEngine engine, String vm, int n) throws Exception {
        AtomicInteger beats = new AtomicInteger();
        AtomicReference<String> problem = new AtomicReference<>();
        try (AutoCloseable events = engine.follow(INSTANCE, e -> {
            if (Event.HEARTBEAT.equals(e.kind()) && vm.equals(e.vm())) {
                var f = e.fields();
                if (f.path("memoryErrors").asLong() + f.path("canaryErrors").asLong()
                        + f.path("tscBackwards").asLong() != 0) {
                    problem.set(f.toString());
                }
                beats.incrementAndGet();
            }
        })) {
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (beats.get() < n && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        assertThat(beats.get()).as("heartbeats of %s", vm).isGreaterThanOrEqualTo(n);
        assertThat(problem.get()).as("guest errors of %s", vm).isNull();
    }

    /**
     * Only the live instance ({@code live} its pid, or -1 when none lives) has a socket, a held lock and a mapping of
     * {@code vm}'s RAM in {@code dir}. A crashed instance's socket may stay when none lives: nothing holds its name,
     * `list` calls it stale and the next launch under the name replaces it.
     */
    static void assertNothingLeaks(Path dir, String vm, long live) {
        List<String> sockets = list(dir, ".sock");
        if (live < 0) {
            sockets = sockets.stream().filter(s -> !s.equals(INSTANCE + ".sock")).toList();
        }
        assertThat(sockets).as("sockets in %s", dir).isEqualTo(live > 0 ? List.of(INSTANCE + ".sock") : List.of());
        for (String lock : list(dir, ".lock")) {
            Optional<Fd> free = Flock.tryExclusive(dir.resolve(lock));
            free.ifPresent(Fd::close);
            assertThat(free.isEmpty()).as("%s held", lock).isEqualTo(live > 0 && lock.equals(INSTANCE + ".lock"));
        }
        assertThat(CaseProcesses.mapping(vm)).as("processes mapping %s's RAM", vm)
                .isEqualTo(live > 0 ? List.of(live) : List.of());
    }

    static List<String> list(Path dir, String suffix) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void signal(long pid, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, "--", String.valueOf(pid)).start().waitFor();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A failed case must not leave its processes to the next one (or to the host). */
    static void killLeftovers(Path dir) throws InterruptedException {
        for (CaseProcesses.Proc p : CaseProcesses.of(dir.toString())) {
            signal(p.pid(), "KILL");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!CaseProcesses.of(dir.toString()).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }
}
