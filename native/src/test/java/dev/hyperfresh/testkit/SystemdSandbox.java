package dev.hyperfresh.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * systemd as PID 1 of new pid, mount, UTS and cgroup namespaces, as in a container: a real service manager for a
 * test that touches nothing of the host's. It loads only the test's units ({@code SYSTEMD_UNIT_PATH}: no
 * generators' or distribution's units, so nothing cleans /tmp or starts udev), runs in a cgroup v2 subtree of its
 * own, seen through a cgroup2 mount in its mount namespace (the host's hierarchies, and their root, out of its
 * reach), with /run a tmpfs of its own. What is to be its own — and a console whose new hypervisor it is to take
 * as a service's main process — runs inside all its namespaces ({@link #inside}). As root with systemd, unshare,
 * nsenter and cgroup v2; else a {@link Prerequisite}.
 */
public final class SystemdSandbox implements AutoCloseable {
    private static final String SYSTEMD = "/lib/systemd/systemd";
    private static final String START = """
            set -eu
            DIR=$1
            CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
            [ -n "$CG2" ] || { echo "no cgroup2 hierarchy is mounted" >&2; exit 1; }
            MINE=$CG2$(sed -n 's/^0:://p' /proc/self/cgroup)
            SUB=${MINE%/}/hf-systemd-$$
            mkdir "$SUB"
            echo "$SUB" > "$DIR/cgroup"
            echo $$ > "$SUB/cgroup.procs"
            exec unshare --pid --fork --mount --uts --cgroup --propagation private --mount-proc /bin/sh -c '
              set -e
              mount -t tmpfs tmpfs /run
              mount -t cgroup2 cgroup2 /sys/fs/cgroup
              exec env SYSTEMD_UNIT_PATH="$1/units" container=hyperfresh-test \\
                "$2" --system --unit=hf.target --log-target=console --show-status=0
            ' sh "$DIR" "$2"
            """;

    private final Path dir;
    private final Process unshare;
    private final long init;

    private SystemdSandbox(Path dir, Process unshare, long init) {
        this.dir = dir;
        this.unshare = unshare;
        this.init = init;
    }

    /** Starts it with {@code units} (file name to text; a target it starts and its slice are added) in {@code dir}. */
    public static SystemdSandbox start(Path dir, Map<String, String> units) throws Exception {
        Prerequisite.require(missing());
        Path unitDir = Files.createDirectories(dir.resolve("units"));
        Map<String, String> all = new LinkedHashMap<>(units);
        all.put("hf.target", "[Unit]\nDescription=what the sandbox starts: nothing\n");
        all.put("system.slice", "[Unit]\nDefaultDependencies=no\n");
        for (Map.Entry<String, String> unit : all.entrySet()) {
            Files.writeString(unitDir.resolve(unit.getKey()), unit.getValue());
        }
        Path script = Files.writeString(dir.resolve("start-systemd"), START);
        Process unshare = new ProcessBuilder("sh", script.toString(), dir.toString(), SYSTEMD)
                .redirectErrorStream(true).redirectOutput(dir.resolve("systemd.log").toFile()).start();
        SystemdSandbox sandbox = null;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline && unshare.isAlive()) {
            Optional<Long> init = unshare.children().map(ProcessHandle::pid).findFirst();
            if (init.isPresent()) {
                sandbox = new SystemdSandbox(dir, unshare, init.get());
                String state = sandbox.run("systemctl", "is-system-running").output().strip();
                if (state.equals("running") || state.equals("degraded")) {
                    return sandbox;
                }
            }
            Thread.sleep(100);
        }
        if (sandbox != null) {
            sandbox.close();
        }
        throw new IllegalStateException("systemd did not come up in its sandbox; its output: "
                + Files.readString(dir.resolve("systemd.log")));
    }

    /** {@code argv} run inside all of its namespaces, as a process of its machine. */
    public List<String> inside(String... argv) {
        List<String> command = new ArrayList<>(List.of("nsenter", "-t", Long.toString(init), "-a"));
        command.addAll(List.of(argv));
        return command;
    }

    /** {@code systemctl ARGS}, which must succeed; its output. */
    public String systemctl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("systemctl"));
        command.addAll(List.of(args));
        Ran ran = run(command.toArray(String[]::new));
        if (ran.status() != 0) {
            throw new IllegalStateException("systemctl " + String.join(" ", args) + " failed: " + ran.output());
        }
        return ran.output();
    }

    /** What a command run {@link #inside} printed (standard error too), and its exit status. */
    public record Ran(int status, String output) {
    }

    public Ran run(String... argv) throws Exception {
        Process p = new ProcessBuilder(inside(argv)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Ran(p.waitFor(), out);
    }

    /** {@code unit}'s properties ({@code systemctl show -p}). */
    public Map<String, String> show(String unit, String... properties) throws Exception {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : systemctl("show", unit, "-p", String.join(",", properties)).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return values;
    }

    /** The pids in {@code unit}'s cgroup, as its processes see them. */
    public List<Long> processesOf(String unit) throws Exception {
        String group = show(unit, "ControlGroup").get("ControlGroup");
        return run("cat", "/sys/fs/cgroup" + group + "/cgroup.procs").output().lines().map(Long::parseLong).toList();
    }

    /** Ends systemd and with it everything in its pid namespace; removes its cgroups. */
    @Override
    public void close() throws Exception {
        ProcessHandle.of(init).ifPresent(ProcessHandle::destroyForcibly);
        unshare.destroyForcibly();
        unshare.waitFor();
        Path cgroup = Path.of(Files.readString(dir.resolve("cgroup")).strip());
        for (int i = 0; i < 100 && Files.exists(cgroup); i++) {   // its processes' ends reach the cgroups a moment later
            try (Stream<Path> tree = Files.walk(cgroup)) {
                for (Path d : tree.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(d);
                }
            } catch (IOException busy) {
                Thread.sleep(50);
            }
        }
    }

    private static Optional<String> missing() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("a systemd sandbox needs root");
        }
        for (String tool : List.of(SYSTEMD, "/usr/bin/unshare", "/usr/bin/nsenter", "/usr/bin/systemctl")) {
            if (!Files.isExecutable(Path.of(tool))) {
                return Optional.of(tool + " is missing (Debian: apt-get install systemd util-linux)");
            }
        }
        return Optional.empty();
    }
}
