package dev.hyperfresh.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The control groups a process is in, one per hierarchy (cgroup v2's unified one, each v1 one of a legacy or hybrid
 * host), and moving a process into another's: a replacement hypervisor belongs where the one it replaces was (the
 * limits and accounting an operator set there, the scope or slice whose life is the VMs'), not in the console's that
 * started it.
 */
public final class Cgroups {
    /**
     * One hierarchy's cgroup of a process: {@code hierarchy} is its controllers as /proc/PID/cgroup names them
     * ({@code memory}, {@code cpu,cpuacct}, {@code name=systemd}), empty for cgroup v2; {@code path} is the cgroup
     * within it; {@code directory} where it is mounted here, or null where that hierarchy is not mounted.
     */
    public record Cgroup(String hierarchy, String path, Path directory) {
        @Override
        public String toString() {
            return (hierarchy.isEmpty() ? "" : hierarchy + ":") + path;
        }
    }

    private Cgroups() {
    }

    /** The cgroups of process {@code pid}, as /proc/PID/cgroup lists them. */
    public static List<Cgroup> of(long pid) throws IOException {
        // readAllLines, not readString: these procfs files say their size is 0
        try {
            return parse(String.join("\n", Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"))),
                    String.join("\n", Files.readAllLines(Path.of("/proc/self/mountinfo"))));
        } catch (IOException e) {
            throw new IOException("cannot read the cgroups of pid " + pid + ": " + IoFailure.reason(e), e);
        }
    }

    /** {@code cgroupFile}'s lines (/proc/PID/cgroup) with their directories found in {@code mountinfo}. */
    static List<Cgroup> parse(String cgroupFile, String mountinfo) {
        List<Cgroup> cgroups = new ArrayList<>();
        for (String line : cgroupFile.split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length == 3) {
                cgroups.add(new Cgroup(f[1], f[2], directory(f[1], f[2], mountinfo)));
            }
        }
        return cgroups;
    }

    /**
     * Where cgroup {@code path} of {@code hierarchy} is: under the mount of that hierarchy (fstype cgroup2 for v2,
     * else the cgroup mount whose super options hold each of its controllers), less the mount's own root.
     */
    private static Path directory(String hierarchy, String path, String mountinfo) {
        List<String> wanted = Arrays.asList(hierarchy.split(","));
        for (String line : mountinfo.split("\n")) {
            String[] halves = line.split(" - ", 2);
            String[] before = halves[0].split(" ");
            String[] after = halves.length == 2 ? halves[1].split(" ") : new String[0];
            if (before.length < 5 || after.length < 3) {
                continue;
            }
            boolean v2 = after[0].equals("cgroup2");
            boolean match = hierarchy.isEmpty() ? v2
                    : after[0].equals("cgroup") && Arrays.asList(after[2].split(",")).containsAll(wanted);
            String root = before[3];
            if (match && (root.equals("/") || path.equals(root) || path.startsWith(root + "/"))) {
                String rest = root.equals("/") ? path : path.substring(root.length());
                return Path.of(before[4] + rest);
            }
        }
        return null;
    }

    /**
     * Moves process {@code pid} (all its threads) into each of {@code cgroups} (another process's, from
     * {@link #of}) where it is not yet; returns those it joined. A hierarchy not mounted here is left as it is.
     *
     * @throws IOException naming the cgroup that refused it (those before it joined)
     */
    public static List<Cgroup> join(long pid, List<Cgroup> cgroups) throws IOException {
        List<Cgroup> mine = of(pid);
        List<Cgroup> joined = new ArrayList<>();
        for (Cgroup target : cgroups) {
            if (target.directory() == null || mine.contains(target)) {
                continue;
            }
            try {
                Files.writeString(target.directory().resolve("cgroup.procs"), Long.toString(pid));
            } catch (IOException e) {
                throw new IOException("cannot join cgroup " + target + " (" + target.directory() + "): "
                        + IoFailure.reason(e), e);
            }
            joined.add(target);
        }
        return joined;
    }

    /**
     * The systemd service whose cgroup process {@code pid} is in, if any (a scope is not a service: it has no main
     * process to end it, nor a restart); empty too when its cgroups cannot be read (it is gone).
     */
    public static Optional<String> systemdServiceOf(long pid) {
        try {
            return systemdService(of(pid));
        } catch (IOException gone) {
            return Optional.empty();
        }
    }

    /** The systemd service among {@code cgroups} ({@code NAME.service} as a cgroup's last component), if any. */
    public static Optional<String> systemdService(List<Cgroup> cgroups) {
        for (Cgroup c : cgroups) {
            String leaf = c.path().substring(c.path().lastIndexOf('/') + 1);
            if ((c.hierarchy().isEmpty() || c.hierarchy().equals("name=systemd")) && leaf.endsWith(".service")) {
                return Optional.of(leaf);
            }
        }
        return Optional.empty();
    }
}
