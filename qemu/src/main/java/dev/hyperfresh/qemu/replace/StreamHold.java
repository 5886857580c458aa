package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.sys.MonotonicClock;
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
 * <p>The marker is recognised by what follows it: {@code 0x00 0x06}, a length of at most {@link #MAX_DESCRIPTION},
 * then {@code {"}; and a candidate is let go once more than its length follows it (it was guest RAM or device state
 * that looked alike). A marker with nothing after it (machines that send no description) is held as the last byte.
 * Only the old QEMU writes and only the new one reads (a precopy migration has no return path).
 */
final class StreamHold implements AutoCloseable {
    private static final int BUFFER = 1 << 20;
    private static final byte EOF_MARKER = 0x00;
    private static final byte DESCRIPTION = 0x06;
    /** Far more than any VM's description (tens of KiB): longer candidates are not the end. */
    private static final int MAX_DESCRIPTION = 16 << 20;
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long SIXES = DESCRIPTION * ONES;
    private static final int WARM_UP_BYTES = 64 << 10;
    private static final int WARM_UP_ROUNDS = 100;

    private final ServerSocketChannel listener;
    private final Path path;
    private final Path standbySocket;
    /** Held by the thread writing to the new QEMU: the forwarder, or the one releasing. */
    private final ReentrantLock writing = new ReentrantLock();
    private volatile boolean released;
    /** When the release began (0 before): nothing of the end reached the new QEMU earlier. */
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
        return stamp(endReadNanos);
    }

    /** When the release began, if it has. */
    OptionalLong releasedAt() {
        return stamp(releaseNanos);
    }

    private static OptionalLong stamp(long nanos) {
        return nanos == 0 ? OptionalLong.empty() : OptionalLong.of(nanos);
    }

    /** Where the old QEMU migrates to. */
    Path path() {
        return path;
    }

    /**
     * Lets the stream end: what is held goes on, and everything after it as it comes. Only once the old QEMU has
     * completed its migration (before that, a late failure would make it resume the guest). Any thread, any number
     * of times; it does not wait for the forwarder (which, busy writing, passes the held bytes on itself once done),
     * only for the new QEMU to take the held bytes (tens of KiB: a socket's buffer holds them).
     */
    void release() {
        if (releaseNanos == 0) {
            releaseNanos = MonotonicClock.nanos();
        }
        released = true;
        if (writing.tryLock()) {
            try {
                passHeldOn();
            } finally {
                writing.unlock();
            }
        }
    }

    /**
     * Before the release: cuts the stream on both sides, so the new QEMU's load fails and the old QEMU's migration,
     * if still under way, too. After it: nothing (the stream, the new QEMU's now, ends by itself).
     */
    @Override
    public void close() {
        if (released) {
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
        try {
            warmUp();
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

    /**
     * Every byte of the stream is looked at on its way: interpreted, that would cost milliseconds after the guest
     * has stopped; compiled, tens of microseconds. The compiler gets its chance while the old QEMU connects.
     */
    private static void warmUp() {
        ByteBuffer sample = ByteBuffer.allocateDirect(WARM_UP_BYTES);
        for (int i = 1; i < WARM_UP_BYTES; i += 64) {
            sample.put(i, DESCRIPTION);   // zeros before it: a look-alike's header, so both ways of the scan are taken
        }
        for (int i = 0; i < WARM_UP_ROUNDS; i++) {
            if (possibleEnd(sample, 0, WARM_UP_BYTES) != WARM_UP_BYTES - 1) {   // only its last zero may be an end
                throw new IllegalStateException("the stream's end is not recognised as it should be");
            }
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
            int end = released ? filled : possibleEnd(stream, sent, filled);
            if (endReadNanos == 0 && isWholeEnd(stream, end, filled)) {
                endReadNanos = MonotonicClock.nanos();
            }
            writeOn(end);
            makeRoom();
        } finally {
            writing.unlock();
        }
        if (released && writing.tryLock()) {
            try {
                passHeldOn();
            } finally {
                writing.unlock();
            }
        }
    }

    private void passHeldOn() {
        try {
            if (!released || to == null) {
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

    /**
     * Where in {@code b}'s bytes {@code [from, to)} the stream's end may begin: the first end-of-state marker that
     * could still be it (a description header after it, as far as read, with no more bytes after it than its length
     * says; or nothing after it); {@code to} if none. A candidate is found by its second byte, eight bytes at a time:
     * 0x06 is rare in RAM and device state, where zeros are everywhere.
     */
    static int possibleEnd(ByteBuffer b, int from, int to) {
        int j = from + 1;
        for (; j + Long.BYTES <= to; j += Long.BYTES) {
            long x = b.getLong(j) ^ SIXES;
            if (((x - ONES) & ~x & HIGHS) != 0) {   // one of these eight bytes is 0x06
                for (int k = j; k < j + Long.BYTES; k++) {
                    if (isCandidate(b, k - 1, to)) {
                        return k - 1;
                    }
                }
            }
        }
        for (; j < to; j++) {
            if (isCandidate(b, j - 1, to)) {
                return j - 1;
            }
        }
        return to > from && b.get(to - 1) == EOF_MARKER ? to - 1 : to;
    }

    /** Whether a marker and description header begin at {@code i}, as far as {@code to}, and may be the end. */
    private static boolean isCandidate(ByteBuffer b, int i, int to) {
        if (b.get(i + 1) != DESCRIPTION || b.get(i) != EOF_MARKER) {
            return false;
        }
        int after = to - i;
        if (after < 6) {
            return true;
        }
        long size = b.getInt(i + 2) & 0xffffffffL;
        return size >= 2 && size <= MAX_DESCRIPTION && after <= 6 + size
                && (after <= 6 || b.get(i + 6) == '{') && (after <= 7 || b.get(i + 7) == '"');
    }

    /** Whether {@code [at, to)} is a whole end: the marker and a description of exactly the length it gives. */
    static boolean isWholeEnd(ByteBuffer b, int at, int to) {
        return to - at > 7 && b.get(at) == EOF_MARKER && to - at == 6 + (b.getInt(at + 2) & 0xffffffffL);
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
