package dev.hyperfresh.bench;

import dev.hyperfresh.sys.EventFd;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Pidfd;
import dev.hyperfresh.sys.Poll;
import dev.hyperfresh.sys.RealtimePriority;
import dev.hyperfresh.sys.Sys;
import dev.hyperfresh.vmm.handover.Ledger;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * The offer: the old instance's {@code Ledger.transition(OLD, OFFERED)} and the offer signal (an eventfd), seen by
 * the standby's thread blocked as {@code IncomingHandover.awaitOffer} blocks: {@link Poll#readable} on the signal
 * and the old instance's pidfd (here our own), then {@link Ledger#owner()}. Both threads map the same ledger, in
 * one process here (two in a real handover, which changes nothing for a word in shared memory and an eventfd).
 * Floor: {@code LockSupport.unpark} → {@code park} returns.
 */
final class OfferProbe implements CutoverProbe {
    private static final int OFFER_POLL_MS = 100;

    private final Ledger ledger = Ledger.create(0);
    private final EventFd signal = EventFd.create(0);
    private final Fd old = Pidfd.open(Sys.C.getpid());
    private final Thread standby;
    private final UnparkPing floor;
    private volatile boolean waiting;
    private volatile long seenAt;
    private volatile boolean closed;

    OfferProbe(boolean realtime) {
        floor = new UnparkPing(realtime);
        standby = new Thread(() -> awaitOffers(realtime), "bench-standby");
        standby.setDaemon(true);
        standby.start();
    }

    private void awaitOffers(boolean realtime) {
        try (RealtimePriority boost = realtime ? RealtimePriority.raise() : null) {
            while (!closed) {
                waiting = true;
                if (Poll.readable(OFFER_POLL_MS, signal.fd(), old) == 0 && ledger.owner() == Ledger.Owner.OFFERED) {
                    seenAt = System.nanoTime();
                    waiting = false;
                    signal.read();
                    Waits.until(() -> closed || ledger.owner() == Ledger.Owner.OLD, "the next round");
                }
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public List<Row> rows() {
        return List.of(new Row(50, "offer → seen (Ledger.transition + eventfd → poll, owner())",
                "LockSupport.unpark → park returns", true));
    }

    @Override
    public void round(long[] real, long[] floorOut) throws Exception {
        seenAt = 0;
        Waits.until(() -> waiting, "the standby to wait for the offer");
        Thread.sleep(0, 200_000);   // asleep in poll by now, as it is for the milliseconds a pause and save take
        long offered = System.nanoTime();
        ledger.transition(Ledger.Owner.OLD, Ledger.Owner.OFFERED);
        signal.signal(1);
        Waits.until(() -> seenAt != 0, "the standby to see the offer");
        real[0] = seenAt - offered;
        // Rewound for the next round: no hfvisor ever makes this transition.
        ledger.transition(Ledger.Owner.OFFERED, Ledger.Owner.OLD);
        floorOut[0] = floor.measure();
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        signal.signal(1);
        standby.join(5_000);
        floor.close();
        signal.close();
        old.close();
        ledger.close();
    }
}
