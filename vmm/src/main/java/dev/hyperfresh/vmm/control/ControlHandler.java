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

    /** Powers off the VM named {@code vm}, or every VM when {@code vm} is null (the instance then exits). */
    default void stop(String vm) {
        throw new UnsupportedOperationException("this instance cannot be stopped over its control socket");
    }

    /**
     * Resets the VM named {@code vm}, or every VM when {@code vm} is null, as a PC's reset button does; returns once
     * each boots again (a paused VM stays paused, and boots once resumed).
     */
    default void reset(String vm) {
        throw new UnsupportedOperationException("this instance cannot reset its VMs");
    }

    /**
     * Presses the ACPI power button of the running VM named {@code vm}, or of every VM when {@code vm} is null
     * (refused for all unless each guest listens); returns at once: each guest shuts down and powers off in its
     * own time.
     */
    default void shutdown(String vm) {
        throw new UnsupportedOperationException("this instance cannot press its VMs' power buttons");
    }

    /**
     * Hands every VM's RAM to the standby listening on the request's target, by remap or by pre-copy; the VMs keep
     * running (docs/HANDOVER.md).
     */
    default PrepareReply prepareHandover(PrepareRequest request) {
        throw new UnsupportedOperationException("this instance does not hand VMs over");
    }

    /** Moves every VM to the prepared standby, or rolls back; see {@link CutoverReply}. */
    default CutoverReply cutover() {
        throw new UnsupportedOperationException("this instance does not hand VMs over");
    }

    /** Called once the cutover's reply has been sent (or could not be): a committed instance may now end. */
    default void cutoverReplied() {
    }

    default void abortHandover() {
        throw new UnsupportedOperationException("this instance does not hand VMs over");
    }

    /**
     * A handing-over instance's {@code adopt} request: the handler now owns {@code request}'s descriptors and the
     * connection, and returns when the handover session on it has ended.
     */
    default void adopt(Frame request, FrameChannel channel) {
        request.fds().forEach(dev.hyperfresh.sys.Fd::close);
        throw new UnsupportedOperationException("this instance is not a standby");
    }
}
