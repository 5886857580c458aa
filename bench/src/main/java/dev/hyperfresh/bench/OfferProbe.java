package dev.hyperfresh.bench;

import dev.hyperfresh.sys.MonotonicClock;
import dev.hyperfresh.vmm.handover.Ledger;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * The offer: the old instance's {@code Ledger.transition(OLD, OFFERED)}, seen by the standby spinning on
 * {@link Ledger#owner()}. The spin does per turn what {@code IncomingHandover.awaitOffer} does (read the word,
 * read the clock for its spin deadline); both threads map the same ledger, in one process here (two in a real
 * handover, which changes nothing for a word in shared memory). Floor: a volatile flag seen by a spinning thread.
 */
final class OfferProbe implements CutoverProbe {
    private final Ledger ledger = Ledger.create(0);
    private final Spinner standby;
    private final Spinner floorPing;
    private volatile boolean floorFlag;

    OfferProbe(boolean realtime) {
        standby = new Spinner("bench-standby", () -> {
            boolean offered = ledger.owner() == Ledger.Owner.OFFERED;
            MonotonicClock.nanos();   // awaitOffer's spin deadline, checked every turn
            return offered;
        }, realtime);
        floorPing = new Spinner("floor-ping", () -> floorFlag, realtime);
    }

    @Override
    public List<Row> rows() {
        return List.of(new Row(50, "offer → seen (Ledger.transition → owner() spin)",
                "volatile flag seen by a spinning thread", true));
    }

    @Override
    public void round(long[] real, long[] floor) throws TimeoutException {
        real[0] = standby.measure(() -> ledger.transition(Ledger.Owner.OLD, Ledger.Owner.OFFERED));
        // Rewound for the next round: no hfvisor ever makes this transition.
        ledger.transition(Ledger.Owner.OFFERED, Ledger.Owner.OLD);
        floorFlag = false;
        floor[0] = floorPing.measure(() -> floorFlag = true);
    }

    @Override
    public void close() throws InterruptedException {
        standby.close();
        floorPing.close();
        ledger.close();
    }
}
