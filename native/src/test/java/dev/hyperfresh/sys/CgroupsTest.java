package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.testkit.TestCgroup;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CgroupsTest {
    private static final String HYBRID_MOUNTS = """
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate""";

    @Test
    void findsEachHierarchysDirectoryOnAHybridHost() {
        List<Cgroups.Cgroup> cgroups = Cgroups.parse("""
                9:name=systemd:/system.slice/hv.scope
                4:memory:/machine/hv
                2:cpu,cpuacct:/machine
                1:pids:/
                0::/system.slice/hv.scope""", HYBRID_MOUNTS);

        assertThat(cgroups).extracting(Cgroups.Cgroup::directory).containsExactly(
                Path.of("/sys/fs/cgroup/systemd/system.slice/hv.scope"), Path.of("/sys/fs/cgroup/memory/machine/hv"),
                Path.of("/sys/fs/cgroup/cpu,cpuacct/machine"), null,   // pids: not mounted here
                Path.of("/sys/fs/cgroup/unified/system.slice/hv.scope"));
        assertThat(cgroups.get(1)).hasToString("memory:/machine/hv");
        assertThat(cgroups.get(4)).hasToString("/system.slice/hv.scope");
        assertThat(Cgroups.systemdService(cgroups)).isEmpty();
    }

    @Test
    void aMountOfASubtreeIsFollowedFromItsRoot() {
        // a container's view: the host mounted its own cgroup as /sys/fs/cgroup
        List<Cgroups.Cgroup> cgroups = Cgroups.parse("0::/lxc/c1/hv\n",
                "50 40 0:26 /lxc/c1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");

        assertThat(cgroups.get(0).directory()).isEqualTo(Path.of("/sys/fs/cgroup/hv"));
    }

    @Test
    void aSystemdServicesOwnCgroupIsNamed() {
        assertThat(Cgroups.systemdService(Cgroups.parse("0::/system.slice/hfvisor@web.service\n", HYBRID_MOUNTS)))
                .contains("hfvisor@web.service");
        assertThat(Cgroups.systemdService(Cgroups.parse(
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/hv.scope\n", HYBRID_MOUNTS))).isEmpty();
    }

    @Test
    void aProcessJoinsAnothersCgroups() throws Exception {
        try (TestCgroup cgroup = TestCgroup.make("hf-cgroups")) {
            Process old = new ProcessBuilder("sleep", "30").start();
            Process successor = new ProcessBuilder("sleep", "30").start();
            try {
                cgroup.put(old.pid());
                assertThat(cgroup.holds(successor.pid())).isFalse();

                assertThat(Cgroups.join(successor.pid(), Cgroups.of(old.pid()))).containsExactly(cgroup.cgroup());

                assertThat(cgroup.holds(successor.pid())).isTrue();
                assertThat(Cgroups.join(successor.pid(), Cgroups.of(old.pid()))).isEmpty();   // nothing left to join
            } finally {
                old.destroyForcibly().waitFor();
                successor.destroyForcibly().waitFor();
            }
        }
    }
}
