package dev.hyperfresh.vmm.control;

import dev.hyperfresh.vmm.persist.VmState;
import java.util.List;

/**
 * What an hfvisor instance does for the control socket's ops. Called on the requesting client's connection
 * thread, so concurrently when several clients ask at once. An exception becomes an error reply carrying its
 * message, which should therefore be a sentence an operator understands (e.g. "no VM named web-2").
 *
 * <p>Events for {@code subscribe} do not go through here: the instance pushes them with
 * {@link ControlServer#publish(Event)}.
 */
public interface ControlHandler {
    InstanceInfo info();

    /** Pauses the VM named {@code vm}, or every VM when {@code vm} is null; returns once they are paused. */
    void pause(String vm);

    /** Resumes the VM named {@code vm}, or every VM when {@code vm} is null. */
    void resume(String vm);

    /**
     * The state of the VM named {@code vm}, or of every VM when {@code vm} is null. vCPUs must not run while
     * their state is saved: the handler either requires the VMs to be paused or pauses them for the save.
     */
    List<VmState> saveState(String vm);
}
