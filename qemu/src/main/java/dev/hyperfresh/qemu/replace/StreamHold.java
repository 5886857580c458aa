package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.sys.MonotonicClock;
import dev.hyperfresh.sys.ThreadSignals;
import dev.hyperfresh.sys.TimeSlice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The commit point of a replacement, kept inside the migration stream: the old QEMU migrates into this socket, and
 * the stream goes on to the new QEMU (started without -S, so it runs the guest the moment its load ends) as it
 * comes, all but its end, held until {@link #release}. The end is QEMU's end-of-state marker ({@code QEMU_VM_EOF})
 * and what follows it, the VM description ({@code QEMU_VM_VMDESCRIPTION}, a be32 length, JSON), which the new QEMU
 * reads only as far as it can (its load ends even if the description is cut short, but not without the marker). So
 * the new QEMU cannot end its load, nor run the guest, before the release; {@link #close} before it cuts the stream
 * short of the marker, and the new QEMU's load fails (it exits; it never ran the guest). The release is a write of
 * the held bytes, tens of kilobytes, from whichever thread decides: no round trip through QMP on the new QEMU's
 * way to starting the guest, which is QEMU's own from there.
 *
 * <p>{@link StreamEnd} tells where the end may begin. Only the old QEMU writes and only the new one reads (a precopy
 * migration has no return path).
 */
final class StreamHold implements AutoCloseable {
    private static final int BUFFER = 1 << 20;

    private final ServerSocketChannel listener;
    private final Path path;
    private final Path standbySocket;
    /** Held by the thread writing to the new QEMU: the forwarder, or the one releasing. */
    private final ReentrantLock writing = new ReentrantLock();
    /** When the release began (0 before: not released): nothing of the end reached the new QEMU earlier. */
    private volatile long releaseNanos;
    private volatile boolean closed;
    private SocketChannel from;
    private SocketChannel to;
    /**
     * The stream as read: {@code [0, sent)} written on, {@code [sent, filled)} held back (the end, or what may be
     * its start), {@code [filled, capacity)} where the forwarder reads into, outside the lock. Only the forwarder
     * moves or grows it and changes {@code filled}; under {@link #writing}, either thread writes the held bytes on.
     */
    private ByteBuffer stream = ByteBuffer.allocateDirect(BUFFER);
    private ByteBuffer out = stream.duplicate();
    private int sent;
    private int filled;
    private boolean sourceEnded;
    /** When the whole end had been read (0 until then): from there the new QEMU waits only for the release. */
    private volatile long endReadNanos;

    private StreamHold(ServerSocketChannel listener, Path path, Path standbySocket) {
        this.listener = listener;
        this.path = path;
        this.standbySocket = standbySocket;
    }

    /** Where the hold for a new QEMU listening on {@code standbySocket} listens: a file beside it. */
    static Path pathFor(Path standbySocket) {
        return standbySocket.resolveSibling(standbySocket.getFileName() + ".hold");
    }

    /**
     * Listens at {@link #pathFor}{@code (standbySocket)} for the old QEMU's migration; on its connection, connects
     * to the new QEMU's incoming socket {@code standbySocket} and forwards, on a thread of its own.
     */
    static StreamHold listen(Path standbySocket) {
        Path path = pathFor(standbySocket);
        try {
            Files.deleteIfExists(path);
            ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            listener.bind(UnixDomainSocketAddress.of(path), 1);
            MigrationPath.openToQemu(path);
            StreamHold hold = new StreamHold(listener, path, standbySocket);
            Thread forwarder = new Thread(hold::forward, "migration stream hold");
            forwarder.setDaemon(true);
            forwarder.start();
            return hold;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for the migration stream at " + path + ": "
                    + e.getMessage(), e);
        }
    }

    /** When the whole end of the stream had been read, if it has: the new QEMU's wait for the release begins. */
    OptionalLong endRead() {
        long at = endReadNanos;
        return at == 0 ? OptionalLong.empty() : OptionalLong.of(at);
    }

    /** Where the old QEMU migrates to. */
    Path path() {
        return path;
    }

    /**
     * Lets the stream end: what is held goes on, and everything after it as it comes. Only once the old QEMU has
     * completed its migration (before that, a late failure would make it resume the guest). Any thread, any number
     * of times; it does not wait for the forwarder (which, busy writing, passes the held bytes on itself once done),
     * only for the new QEMU to take the held bytes (tens of KiB: a socket's buffer holds them). Returns when the
     * first release began.
     */
    long release() {
        if (releaseNanos == 0) {
            releaseNanos = MonotonicClock.nanos();
        }
        if (writing.tryLock()) {
            try {
                passHeldOn();
            } finally {
                writing.unlock();
            }
        }
        return releaseNanos;
    }

    private boolean released() {
        return releaseNanos != 0;
    }

    /**
     * Before the release: cuts the stream on both sides, so the new QEMU's load fails and the old QEMU's migration,
     * if still under way, too. After it: nothing (the stream, the new QEMU's now, ends by itself).
     */
    @Override
    public void close() {
        if (released()) {
            return;
        }
        closed = true;
        quietly(listener);
        quietly(from);
        quietly(to);
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // a stale socket file is removed by the next replacement
        }
    }

    private void forward() {
        // The old QEMU's writes wake this thread on the writer's CPU (a socket's wake-up is "sync": the waker is
        // expected to sleep), but the old QEMU's sender keeps writing; at the default slice the device state then
        // waited up to 1.6 ms behind it, the other CPU idle (perf sched, PVM host). The shortest slice preempts it.
        TimeSlice.set(ThreadSignals.currentTid(), TimeSlice.SHORTEST_NANOS);
        try {
            StreamEnd.warmUp();
            SocketChannel source = listener.accept();
            quietly(listener);   // one connection only, and no file left behind
            Files.deleteIfExists(path);
            SocketChannel standby = SocketChannel.open(UnixDomainSocketAddress.of(standbySocket));
            assign(source, standby);
            while (source.read(stream.limit(stream.capacity()).position(filled)) >= 0) {
                pass(stream.position());
            }
            writing.lock();
            try {
                sourceEnded = true;
                passHeldOn();
            } finally {
                writing.unlock();
            }
        } catch (IOException | RuntimeException e) {
            close();   // the new QEMU has gone, or we closed: the old QEMU's migration fails and it resumes the guest
        }
    }

    private void assign(SocketChannel source, SocketChannel standby) throws IOException {
        writing.lock();
        try {
            from = source;
            to = standby;
            if (closed) {
                throw new IOException("closed");
            }
        } finally {
            writing.unlock();
        }
    }

    /**
     * Writes what was read up to {@code read}, all but what may be the stream's end until released; a release
     * meanwhile finds the lock taken and leaves the held bytes to us, seen after the unlock.
     */
    private void pass(int read) throws IOException {
        writing.lock();
        try {
            filled = read;
            int end = released() ? filled : StreamEnd.possibleEnd(stream, sent, filled);
            if (endReadNanos == 0 && StreamEnd.isWholeEnd(stream, end, filled)) {
                endReadNanos = MonotonicClock.nanos();
            }
            writeOn(end);
            makeRoom();
        } finally {
            writing.unlock();
        }
        if (released() && writing.tryLock()) {
            try {
                passHeldOn();
            } finally {
                writing.unlock();
            }
        }
    }

    private void passHeldOn() {
        try {
            if (!released() || to == null) {
                return;
            }
            writeOn(filled);
            if (sourceEnded) {
                to.shutdownOutput();
            }
        } catch (IOException e) {
            // the new QEMU has gone: its exit, or its failed load, tells the replacement what happened
        }
    }

    /** Writes the stream on to the new QEMU up to {@code end}. */
    private void writeOn(int end) throws IOException {
        out.limit(end).position(sent);
        while (out.hasRemaining()) {
            to.write(out);
        }
        sent = end;
    }

    /**
     * Keeps room to read into: what is held moves to the front once past the middle, or, when it fills the whole
     * buffer (a long end), the buffer doubles.
     */
    private void makeRoom() {
        if (sent == filled) {
            sent = 0;
            filled = 0;
        } else if (stream.capacity() - filled < stream.capacity() / 2 && (sent > 0 || filled == stream.capacity())) {
            ByteBuffer held = stream.limit(filled).position(sent);
            ByteBuffer room = sent > 0 ? held.compact() : ByteBuffer.allocateDirect(2 * stream.capacity()).put(held);
            filled -= sent;
            sent = 0;
            stream = room;
            out = room.duplicate();
        }
    }

    private static void quietly(Channel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // closing is all that was asked
            }
        }
    }
}
