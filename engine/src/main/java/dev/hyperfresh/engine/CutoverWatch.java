package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.control.Event;
import dev.hyperfresh.vmm.heartbeat.CutoverGap;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A committed cutover as the guests saw it, kept until a verify reports it: the old instance's heartbeats (its last
 * ones mark the cutover; all of them have arrived once it has exited, which it does by itself right after its
 * reply, killed if it lingers), the new instance's (its tap opened while it was still the standby, so that none is
 * missed), and the blackout the old instance reported.
 */
final class CutoverWatch implements AutoCloseable {
    /** Guest time each side of a cutover over which the guest-observed gap is taken (docs/HANDOVER.md). */
    static final long GAP_WINDOW_US = 500_000;
    /** The new instance's first heartbeats are what the cutover window needs; later ones are not kept. */
    static final int AFTER_BEATS_PER_VM = 4096;
    /** How long a cutover waits, beyond the window itself, for heartbeats to fill the control window. */
    private static final long CONTROL_WAIT_US = 5_000_000;
    private static final Duration OLD_EXIT_TIMEOUT = Duration.ofSeconds(15);

    private final long oldPid;
    private final EventTap before;
    private final EventTap after;
    private final long blackoutUs;
    private boolean oldExitAwaited;
    /** The old instance's last heartbeat of each vCPU, read once it has exited. */
    private Map<String, Map<Integer, Long>> boundary;

    /** {@code before} taps the old instance (pid {@code oldPid}), {@code after} the new one; both are this watch's. */
    CutoverWatch(long oldPid, EventTap before, EventTap after, long blackoutUs) {
        this.oldPid = oldPid;
        this.before = before;
        this.after = after;
        this.blackoutUs = blackoutUs;
    }

    /**
     * Waits until the old instance's heartbeats fill a control window back from the latest, so the cutover has one
     * to be compared with; after {@link #CONTROL_WAIT_US} it goes ahead without (verify then says so).
     */
    static void awaitControlWindow(BeatLog before) {
        long deadline = System.nanoTime() + (GAP_WINDOW_US + CONTROL_WAIT_US) * 1000;
        while (!before.controlWindowFilled(GAP_WINDOW_US) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    long blackoutUs() {
        return blackoutUs;
    }

    /**
     * The new instance's events from now on, through the tap opened before the cutover: no second subscription
     * (each heartbeat encoded, sent and decoded once more) while the guest most needs its CPUs.
     */
    AutoCloseable follow(Consumer<Event> events) {
        return after.alsoTo(events);
    }

    /** The guest's gaps across the cutover and in the control window, as far as heartbeats have come in. */
    synchronized Map<String, CutoverGap.Figures> gaps() {
        if (boundary == null) {
            awaitOldExit();
            boundary = before.beats().lastSeqs();
        }
        return BeatLog.figures(before.beats(), boundary, after.beats(), GAP_WINDOW_US);
    }

    /** Waits for the old instance's exit (killing it if it lingers); its tap ends with it. */
    synchronized void awaitOldExit() {
        if (!oldExitAwaited) {
            oldExitAwaited = true;
            try {
                Launcher.awaitExit(oldPid, OLD_EXIT_TIMEOUT);
            } finally {
                before.close();
            }
        }
    }

    @Override
    public void close() {
        try {
            after.close();
        } finally {
            awaitOldExit();
        }
    }
}
