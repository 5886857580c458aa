package dev.hyperfresh.testkit;

import dev.hyperfresh.sys.Cgroups;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A cgroup of a test's own, made below this JVM's cgroup in the first hierarchy that lets it (as root, any), and
 * removed on close once its processes have gone. Where none can be made the test is a {@link Prerequisite}.
 */
public final class TestCgroup implements AutoCloseable {
    private final Cgroups.Cgroup cgroup;

    private TestCgroup(Cgroups.Cgroup cgroup) {
        this.cgroup = cgroup;
    }

    public static TestCgroup make(String name) {
        return make(name, "", false);
    }

    /**
     * One shaped as systemd makes a service's, {@code NAME-PID.service}, in the hierarchy systemd tracks services
     * in (cgroup v2, or v1's {@code name=systemd}).
     */
    public static TestCgroup service(String name) {
        return make(name, ".service", true);
    }

    private static TestCgroup make(String name, String suffix, boolean systemds) {
        StringBuilder refused = new StringBuilder();
        try {
            for (Cgroups.Cgroup mine : Cgroups.of(ProcessHandle.current().pid())) {
                if (mine.directory() == null || (systemds && !mine.hierarchy().isEmpty()
                        && !mine.hierarchy().equals("name=systemd"))) {
                    continue;
                }
                String leaf = name + "-" + ProcessHandle.current().pid() + suffix;
                String path = (mine.path().endsWith("/") ? mine.path() : mine.path() + "/") + leaf;
                Path dir = mine.directory().resolve(leaf);
                try {
                    Files.createDirectories(dir);
                    return new TestCgroup(new Cgroups.Cgroup(mine.hierarchy(), path, dir));
                } catch (IOException e) {
                    refused.append(' ').append(mine).append(": ").append(e.getMessage()).append(';');
                }
            }
        } catch (IOException e) {
            refused.append(' ').append(e.getMessage());
        }
        Prerequisite.require(Optional.of("no cgroup could be made here (run as root):" + refused));
        throw new IllegalStateException("unreachable");
    }

    public Cgroups.Cgroup cgroup() {
        return cgroup;
    }

    /** Moves process {@code pid} into it. */
    public void put(long pid) throws IOException {
        Files.writeString(cgroup.directory().resolve("cgroup.procs"), Long.toString(pid));
    }

    /** Whether process {@code pid} is in it. */
    public boolean holds(long pid) throws IOException {
        return Cgroups.of(pid).contains(cgroup);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        // its processes' ends reach the cgroup a moment after they are reaped
        for (int i = 0; i < 100; i++) {
            try {
                Files.delete(cgroup.directory());
                return;
            } catch (IOException busy) {
                Thread.sleep(50);
            }
        }
        Files.delete(cgroup.directory());
    }
}
