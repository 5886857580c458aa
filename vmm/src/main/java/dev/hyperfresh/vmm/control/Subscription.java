package dev.hyperfresh.vmm.control;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One subscribed connection's event stream. {@link #offer} runs on whatever thread publishes (a vCPU thread,
 * say) and never waits: when the queue is full the event is dropped and counted, and the subscriber is told how
 * many it missed before its next event.
 */
final class Subscription {
    static final int CAPACITY = 1024;

    private final BlockingQueue<Event> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    /** Events queued or being written: a closing server waits for zero so the last events reach the client. */
    private final AtomicLong unsent = new AtomicLong();

    void offer(Event event) {
        unsent.incrementAndGet();
        if (!queue.offer(event)) {
            unsent.decrementAndGet();
            dropped.incrementAndGet();
        }
    }

    boolean drained() {
        return unsent.get() == 0;
    }

    /** Sends queued events until interrupted or until sending fails (the client went away). */
    void pump(FrameChannel channel) {
        try {
            while (true) {
                Event next = queue.take();
                long missed = dropped.getAndSet(0);
                if (missed > 0) {
                    channel.send(Event.dropped(missed).toHeader(), List.of());
                }
                try {
                    channel.send(next.toHeader(), List.of());
                } finally {
                    unsent.decrementAndGet();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
