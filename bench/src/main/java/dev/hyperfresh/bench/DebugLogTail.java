package dev.hyperfresh.bench;

import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.heartbeat.GuestLineParser;
import dev.hyperfresh.vmm.heartbeat.Heartbeat;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Follows the file QEMU's isa-debugcon appends hfguest's lines to, handing heartbeats to a {@link GuestMeter} as
 * they appear (a QEMU has no control socket publishing them, unlike hfvisor) and counting the guest's errors.
 * Polled every few milliseconds: arrival times are that coarse, which is far below a blackout under TCG.
 */
final class DebugLogTail implements AutoCloseable {
    private static final long POLL_MS = 2;

    private final Path file;
    private final GuestMeter meter;
    private final AtomicLong errorLines = new AtomicLong();
    private final AtomicLong panicLines = new AtomicLong();
    /** Each vCPU's memory + canary error count from its latest heartbeat. */
    private final Map<Integer, Long> counted = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;

    DebugLogTail(Path file, GuestMeter meter) {
        this.file = file;
        this.meter = meter;
        this.thread = new Thread(this::follow, "debugcon " + file.getFileName());
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * The errors the guest has seen so far: its heartbeats' counters, since hfguest prints only the first 16 ERR
     * lines of each kind per vCPU (a guest that lost its registers in every replacement stopped saying so after the
     * second), or its ERR lines if they say more; and its PANIC lines.
     */
    long errors() {
        long counters = counted.values().stream().mapToLong(Long::longValue).sum();
        return Math.max(counters, errorLines.get()) + panicLines.get();
    }

    private void follow() {
        StringBuilder line = new StringBuilder();
        long pos = 0;
        byte[] buf = new byte[64 * 1024];
        while (!closed) {
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
                f.seek(pos);
                for (int n; (n = f.read(buf)) > 0; pos += n) {
                    for (char c : new String(buf, 0, n, StandardCharsets.ISO_8859_1).toCharArray()) {
                        if (c == '\n') {
                            take(GuestLineParser.parse(line.toString()));
                            line.setLength(0);
                        } else {
                            line.append(c);
                        }
                    }
                }
            } catch (java.io.FileNotFoundException notYet) {
                // QEMU creates it when it starts
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void take(GuestLine l) {
        if (l.is(GuestLine.HEARTBEAT)) {
            Heartbeat beat = l.heartbeat();
            counted.put(beat.cpu(), beat.memoryErrors() + beat.canaryErrors());
            meter.accept(beat);
        } else if (l.is("INFO") && l.fields().containsKey("tsc_khz")) {
            meter.tscKhz(l.number("tsc_khz"));
        } else if (l.is(GuestLine.ERROR)) {
            errorLines.incrementAndGet();
        } else if (l.is(GuestLine.PANIC)) {
            panicLines.incrementAndGet();
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
