package dev.hyperfresh.engine;

import dev.hyperfresh.progress.Progress;
import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.vmm.control.Event;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * What an operator's console drives: the hfvisor instances of one socket directory and, per instance, its
 * step-by-step replacement. Knows nothing of terminals; long steps report {@link Progress}. Failures are
 * {@link EngineException}s with one sentence.
 */
public interface Engine {
    /** Every control socket in the socket directory, answering or stale, by name. */
    List<Instance> list();

    /** The answering instance named {@code name}. */
    Instance instance(String name);

    /** Starts an hfvisor instance detached from this process and waits until it answers. */
    Instance launch(LaunchRequest request, ProgressListener progress);

    /**
     * Powers off the VM named {@code vm}, or every VM (and so the instance) when {@code vm} is null; whether the
     * instance ends with it (it does with its last live VM).
     */
    boolean stop(String instance, String vm);

    /**
     * Resets the VM named {@code vm}, or every VM when {@code vm} is null, as a PC's reset button does: it boots
     * again, its RAM kept; returns once it runs again (a paused VM stays paused and boots once resumed). Refused
     * unless each is running, resetting or paused.
     */
    void reset(String instance, String vm);

    /**
     * Presses the ACPI power button of the VM named {@code vm}, or of every VM when {@code vm} is null: its guest
     * shuts down and powers off in its own time. Refused unless each is running and its guest listens to the
     * button. With {@code wait}, returns once each has powered off, or fails when one has not within it.
     */
    void shutdown(String instance, String vm, Duration wait);

    /** Pauses the VM named {@code vm}, or every VM when null: its vCPUs stop; returns once they have. */
    void pause(String instance, String vm);

    /** Resumes the paused VM named {@code vm}, or every VM when null. */
    void resume(String instance, String vm);

    /** Delivers the instance's events (heartbeats, console, state) until the returned handle is closed. */
    AutoCloseable follow(String instance, Consumer<Event> events);

    /**
     * Delivers the instance's events for {@code duration} (null: until the thread is interrupted, e.g. by Ctrl-C),
     * then returns: with {@code vm} set, only that VM's and the instance-wide ones (refused unless the instance runs
     * it). {@code started} runs once the events flow.
     */
    void follow(String instance, String vm, Duration duration, Runnable started, Consumer<Event> events);

    /** The replacement of {@code instance}, kept across calls so its steps can be taken one at a time. */
    Replacement replacement(String instance);

    /**
     * Replaces every active instance not already on {@code launcher}'s build (null: {@link #hfvisorLauncher}), and
     * every QEMU of the socket directory — and of the host's others, those whose QMP socket lies under
     * {@code qemusAlsoUnder} (null: none) — not already running the file {@code qemu}'s binary names (null: $QEMU or
     * qemu-system-x86_64 on PATH; {@code qemu}'s mode and CPU-state consent apply to each, its accelerator is each
     * one's own), one after another in name order, each a whole replacement (an hfvisor's verified for
     * {@code verifyWindow}), and stops at the first that does not commit (and verify). The host's QEMUs left out are
     * skipped entries, with why. The build and the binary are asked their version first ({@code --version}): one that
     * cannot tell is refused with no instance touched.
     */
    ReplaceAllReport replaceAll(Path launcher, QemuReplaceRequest qemu, Path qemusAlsoUnder, Duration verifyWindow,
                                ProgressListener progress);

    /**
     * What {@link #replaceAll} would do: each instance it would replace is {@code would-replace}, each QEMU whose
     * pre-flight refuses is {@code failed}; none is touched.
     */
    ReplaceAllReport checkAll(Path launcher, QemuReplaceRequest qemu, Path qemusAlsoUnder);

    /** Past replacements, oldest first. */
    List<HistoryEntry> history();

    /** The launcher new instances and, by default, standbys start with. */
    Path hfvisorLauncher();
}
