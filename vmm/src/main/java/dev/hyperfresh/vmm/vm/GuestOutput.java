package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.heartbeat.GuestLineParser;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The text a VM's guest writes (hfguest's line-console lines, a Linux guest's serial console), taken from the vCPU
 * thread that had the exit and published by one thread of the VM's own, in order. A vCPU thread so goes straight
 * back into the guest: parsing and publishing a heartbeat (console file, subscribers' queues and their wake-ups)
 * kept hfguest's vCPU out of the guest 150-200 µs a line on a PVM host, and 2-25 ms a line for the first tenth of a
 * second of an instance that had just taken a VM over (its code cold there), all of it a pause the guest saw.
 * A publisher that falls {@link #CAPACITY} lines behind loses the newest ones, counted: a vCPU never waits for it.
 */
final class GuestOutput implements AutoCloseable {
    static final int CAPACITY = 4096;
    private static final long FLUSH_AT_MOST_MS = 2_000;
    private static final System.Logger LOG = System.getLogger(GuestOutput.class.getName());

    private record Line(boolean serial, String text) {
    }

    private final String vmName;
    private final List<Consumer<GuestLine>> guestLines;
    private final List<Consumer<String>> serialLines;
    private final BlockingQueue<Line> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final Thread publisher;
    /** Lines taken in, and lines handed on or dropped: what {@link #flush()} waits for. */
    private final AtomicLong offered = new AtomicLong();
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    /** Threads in {@link #flush()}: only then does the publisher take this monitor to wake them. */
    private volatile int flushing;

    GuestOutput(String vmName, List<Consumer<GuestLine>> guestLines, List<Consumer<String>> serialLines) {
        this.vmName = vmName;
        this.guestLines = guestLines;
        this.serialLines = serialLines;
        this.publisher = new Thread(this::publishLoop, "hf-guest-output-" + vmName);
        publisher.setDaemon(true);
        publisher.start();
    }

    /** A line-console line (hfguest's heartbeats and reports), from a vCPU thread. */
    void guestLine(String text) {
        offer(new Line(false, text));
    }

    /** A line of the serial console, from a vCPU thread. */
    void serialLine(String text) {
        offer(new Line(true, text));
    }

    /** No monitor here: the publisher holding one while preempted would leave the vCPU waiting for it. */
    private void offer(Line line) {
        offered.incrementAndGet();
        if (queue.offer(line)) {
            return;
        }
        lineDone();
        if (dropped.getAndIncrement() == 0) {
            LOG.log(System.Logger.Level.WARNING, "VM {0}: guest output {1} lines behind; dropping lines (reported once)",
                    vmName, CAPACITY);
        }
    }

    /** Lines dropped because the publisher was {@link #CAPACITY} lines behind. */
    long dropped() {
        return dropped.get();
    }

    /**
     * Waits until every line taken so far has been published (at most 2 s: a stuck listener must not hold up the
     * VM's end), so that whoever learns of the VM's end has its last lines first.
     */
    void flush() {
        if (Thread.currentThread() == publisher) {
            return;   // a listener ending the VM: its own line is being published
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FLUSH_AT_MOST_MS);
        long target = offered.get();
        synchronized (this) {
            flushing++;
            try {
                long left;
                while (done.get() < target && (left = deadline - System.nanoTime()) > 0) {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                flushing--;
            }
        }
    }

    private void publishLoop() {
        try {
            while (true) {
                Line line = queue.take();
                try {
                    publish(line);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "VM " + vmName + ": a guest output listener failed", e);
                }
                lineDone();
            }
        } catch (InterruptedException closed) {
            // the VM was released
        }
    }

    private void lineDone() {
        done.incrementAndGet();
        if (flushing > 0) {   // read after the count: a flusher that missed it is waiting, or will see it
            synchronized (this) {
                notifyAll();
            }
        }
    }

    private void publish(Line line) {
        if (line.serial()) {
            for (Consumer<String> l : serialLines) {
                l.accept(line.text());
            }
        } else {
            GuestLine parsed = GuestLineParser.parse(line.text());
            for (Consumer<GuestLine> l : guestLines) {
                l.accept(parsed);
            }
        }
    }

    @Override
    public void close() {
        publisher.interrupt();
    }
}
