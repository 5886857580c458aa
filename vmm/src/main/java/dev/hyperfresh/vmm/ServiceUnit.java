package dev.hyperfresh.vmm;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import dev.hyperfresh.sys.Cgroups;
import dev.hyperfresh.sys.IoFailure;
import dev.hyperfresh.sys.ServiceManager;
import dev.hyperfresh.sys.SysException;
import java.io.IOException;
import java.util.List;

/**
 * This instance as the main process of a systemd service ({@code Type=notify}): it says when it is ready and when
 * it stops, and at a handover's commit it makes its successor the service's main process, so that the service
 * — its cgroups, its limits, {@code systemctl stop}, its restart policy — goes on with the VMs instead of ending
 * with this process. A failed notification is logged, never thrown: the VMs run on either way.
 */
final class ServiceUnit {
    private static final System.Logger LOG = System.getLogger(ServiceUnit.class.getName());

    private final ServiceManager manager;

    ServiceUnit(ServiceManager manager) {
        this.manager = manager;
    }

    ServiceManager manager() {
        return manager;
    }

    void ready(String status) {
        send("READY=1", "STATUS=" + status, "MAINPID=" + ProcessHandle.current().pid());
    }

    void stopping() {
        send("STOPPING=1", "STATUS=stopping");
    }

    /**
     * The commit has passed: {@code successor} runs the VMs and becomes the main process, at once — were this
     * process to die before, systemd would end the service (and restart it, into a name the successor holds) —
     * and before it joins the service's cgroup ({@link #moveIn}): dying in between, this process would leave systemd a
     * service whose main process exited, whose cgroup it empties, the successor in it. systemd accepts a main process
     * outside the service's cgroup only from root (under {@code User=} the service ends when this process exits; the
     * successor runs on outside it, as the log says).
     */
    void nameMain(long successor) {
        send("MAINPID=" + successor, "STATUS=handed its VMs to pid " + successor);
    }

    /** The main process {@code successor} into this process's cgroups, the service's own. */
    void moveIn(long successor) {
        try {
            List<Cgroups.Cgroup> mine = Cgroups.of(ProcessHandle.current().pid());
            Cgroups.join(successor, mine);
            LOG.log(INFO, "pid {0} now in {1}", successor, mine);
        } catch (IOException e) {
            LOG.log(WARNING, "pid {0} runs outside this service''s cgroups: {1}", successor, IoFailure.reason(e));
            System.err.println("hfvisor: pid " + successor + " runs outside this service's cgroups: "
                    + IoFailure.reason(e));
        }
    }

    private void send(String... assignments) {
        try {
            manager.notify(assignments);
        } catch (SysException e) {
            LOG.log(WARNING, "could not tell {0} {1}: {2}", manager, String.join(", ", assignments), e.getMessage());
            System.err.println("hfvisor: could not tell " + manager + " " + String.join(", ", assignments) + ": "
                    + e.getMessage());
        }
    }
}
