package dev.hyperfresh.qemu.replace;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The one decision between the guest going to the new QEMU (the migration stream's end released to it,
 * {@link StreamHold}) and a rollback to the old one, taken once by whichever thread gets there first. The release
 * happens on the QMP reader thread that reads the old QEMU's {@code MIGRATION completed}, not after a wake-up of the
 * thread waiting for it; a rollback begun before that withdraws it for good. Once released, only the new QEMU's own
 * report says whether it runs the guest.
 */
final class CommitPoint {
    private enum State { OPEN, RELEASED, WITHDRAWN }

    private final AtomicReference<State> state = new AtomicReference<>(State.OPEN);
    private final Runnable release;

    /** {@code release} lets the new QEMU end its load; it must not wait (it runs on a QMP reader). */
    CommitPoint(Runnable release) {
        this.release = release;
    }

    /**
     * Releases unless released already or withdrawn; any thread, any number of times. True if released (now or
     * before), false if withdrawn.
     */
    boolean commit() {
        if (state.compareAndSet(State.OPEN, State.RELEASED)) {
            release.run();
        }
        return state.get() == State.RELEASED;
    }

    /** True if the new QEMU was not and will never be released: a rollback may resume the old QEMU. */
    boolean withdraw() {
        return state.compareAndSet(State.OPEN, State.WITHDRAWN) || state.get() == State.WITHDRAWN;
    }
}
