package dev.hyperfresh.engine;

import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.vmm.control.CutoverReply;
import dev.hyperfresh.vmm.control.PrepareReply;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The replacement of one instance, one step at a time, in this order: {@link #standby}, {@link #remap},
 * {@link #cutover}, then {@link #verify}; {@link #rollback} undoes a standby or remap before the cutover.
 * {@link #snapshot} may be taken at any time. A step out of order is refused with an
 * {@link EngineException.Kind#PRECONDITION} naming the step to run first.
 */
public interface Replacement {
    enum Step {
        /** No standby: the next step is {@code standby}. */
        NONE,
        /** A standby answers: the next step is {@code remap} (or {@code rollback}). */
        STANDBY,
        /** The standby maps the VMs' memory: the next step is {@code cutover} (or {@code rollback}). */
        REMAPPED
    }

    String instance();

    Step step();

    /** Starts {@code <launcher> --standby} and waits until it answers as a standby. */
    StandbyReport standby(Path launcher, ProgressListener progress);

    /** Hands every VM's memory to the standby (no copy); the guests keep running. */
    PrepareReply remap(ProgressListener progress);

    /** Saves every VM's state (what a cutover moves), optionally writing it encoded to {@code saveTo}. */
    Snapshot snapshot(Path saveTo);

    /** Moves the VMs to the standby; on a rolled-back outcome they run on where they were. */
    CutoverReply cutover(ProgressListener progress);

    /** Drops the standby (and its remap); the VMs never stopped. */
    void rollback();

    /** Watches the guests' heartbeats for {@code window} and checks them. */
    Verification verify(Duration window, ProgressListener progress);

    /** standby, remap, cutover and verify in one; a failure before the cutover rolls back. */
    ReplaceReport replace(Path launcher, Duration verifyWindow, ProgressListener progress);

    /**
     * What went wrong beside the steps since the last call (a history line not written), for the console to say
     * after the step's result; the step's outcome stands. {@link #replace} puts its own in its report.
     */
    List<String> takeWarnings();
}
