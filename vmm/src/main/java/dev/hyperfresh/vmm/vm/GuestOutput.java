package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.heartbeat.GuestLineParser;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
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
    /** Under this monitor: lines taken in and lines handed on or dropped, for {@link #flush()}. */
    private long offered;
    private long done;
    private long dropped;

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

    private void offer(Line line) {
        boolean first;
        synchronized (this) {
            offered++;
            if (queue.offer(line)) {
                return;
            }
            done++;
            first = dropped++ == 0;
        }
        if (first) {
            LOG.log(System.Logger.Level.WARNING, "VM {0}: guest output {1} lines behind; dropping lines (reported once)",
                    vmName, CAPACITY);
        }
    }

    /** Lines dropped because the publisher was {@link #CAPACITY} lines behind. */
    synchronized long dropped() {
        return dropped;
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
        synchronized (this) {
            long target = offered;
            long left;
            while (done < target && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
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
                synchronized (this) {
                    done++;
                    notifyAll();
                }
            }
        } catch (InterruptedException closed) {
            // the VM was released
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
