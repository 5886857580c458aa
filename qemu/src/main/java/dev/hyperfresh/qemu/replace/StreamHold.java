package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.sys.Sys;
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
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The commit point of a replacement, kept inside the migration stream: the old QEMU migrates into this socket, and
 * the stream goes on to the new QEMU (started without -S, so it runs the guest the moment its load ends) as it
 * comes, all but its end, held until {@link #release}. The end is QEMU's end-of-state marker ({@code QEMU_VM_EOF})
 * and what follows it, the VM description ({@code QEMU_VM_VMDESCRIPTION}, a be32 length, JSON), which the new QEMU
 * reads only as far as it can (its load ends even if the description is cut short, but not without the marker). So
 * the new QEMU cannot end its load, nor run the guest, before the release; {@link #close} before it cuts the stream
 * short of the marker, and the new QEMU's load fails (it exits; it never ran the guest). The release is a write of
 * the held bytes, tens of kilobytes, from whichever thread decides: no round trip through QMP, so the new QEMU
 * starts the guest as fast as in QEMU's own switch.
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
    private static final int WARM_UP_BYTES = 64 << 10;
    private static final int WARM_UP_ROUNDS = 100;

    private final ServerSocketChannel listener;
    private final Path path;
    private final Path standbySocket;
    private final ByteBuffer incoming = ByteBuffer.allocateDirect(BUFFER);
    /** Held by the thread writing to the new QEMU: the forwarder, or the one releasing. */
    private final ReentrantLock writing = new ReentrantLock();
    private volatile boolean released;
    private volatile boolean closed;
    private SocketChannel from;
    private SocketChannel to;
    /** Read, not yet written on: the end held back, or the part of it seen so far. Guarded by {@link #writing}. */
    private byte[] held = new byte[64 << 10];
    private int heldLength;
    private boolean sourceEnded;

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

    /** Where the old QEMU migrates to. */
    Path path() {
        return path;
    }

    /**
     * Lets the stream end: what is held goes on, and everything after it as it comes. Only once the old QEMU has
     * completed its migration (before that, a late failure would make it resume the guest). Any thread, any number
     * of times; it does not wait for the forwarder (which, busy writing, passes the held bytes on itself once done).
     */
    void release() {
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
        // the guest's state passes through this thread after the guest has stopped: woken by it, it preempts
        TimeSlice.set(Sys.C.gettid(), TimeSlice.SHORTEST_NANOS);
        warmUp();
        try {
            SocketChannel source = listener.accept();
            quietly(listener);   // one connection only, and no file left behind
            Files.deleteIfExists(path);
            SocketChannel standby = SocketChannel.open(UnixDomainSocketAddress.of(standbySocket));
            assign(source, standby);
            while (source.read(incoming) >= 0) {
                pass();
            }
            writing.lock();
            try {
                sourceEnded = true;
                passHeldOn();
            } finally {
                writing.unlock();
            }
        } catch (IOException e) {
            close();   // the new QEMU has gone, or we closed: the old QEMU's migration fails and it resumes the guest
        }
    }

    /**
     * Every byte of the stream is looked at on its way: interpreted, that would cost milliseconds after the guest
     * has stopped; compiled, tens of microseconds. The compiler gets its chance while the old QEMU connects.
     */
    private static void warmUp() {
        byte[] sample = new byte[WARM_UP_BYTES];
        Arrays.fill(sample, (byte) 1);
        for (int i = 0; i < WARM_UP_ROUNDS; i++) {
            sample[i % sample.length] = possibleEnd(sample, sample.length) == sample.length ? 1 : (byte) 2;
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
     * Writes what was read, all but what may be the stream's end until released; a release meanwhile finds the lock
     * taken and leaves the held bytes to us, seen after the unlock.
     */
    private void pass() throws IOException {
        writing.lock();
        try {
            incoming.flip();
            int n = incoming.remaining();
            if (heldLength + n > held.length) {
                held = Arrays.copyOf(held, Math.max(2 * held.length, heldLength + n));
            }
            incoming.get(held, heldLength, n);
            incoming.clear();
            heldLength += n;
            writeOn(released ? heldLength : possibleEnd(held, heldLength));
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
            writeOn(heldLength);
            if (sourceEnded) {
                to.shutdownOutput();
            }
        } catch (IOException e) {
            // the new QEMU has gone: its exit, or its failed load, tells the replacement what happened
        }
    }

    /** Writes the first {@code n} held bytes on to the new QEMU and keeps the rest. */
    private void writeOn(int n) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(held, 0, n);
        while (out.hasRemaining()) {
            to.write(out);
        }
        System.arraycopy(held, n, held, 0, heldLength - n);
        heldLength -= n;
    }

    /**
     * Where in {@code b}'s first {@code length} bytes the stream's end may begin: the first end-of-state marker
     * that could still be it (nothing after it; or a description header, as far as read, with no more bytes after
     * it than its length says); {@code length} if none.
     */
    static int possibleEnd(byte[] b, int length) {
        for (int i = 0; i < length; i++) {
            if (b[i] != EOF_MARKER) {
                continue;
            }
            int after = length - i;
            if (after == 1) {
                return i;
            }
            if (b[i + 1] != DESCRIPTION) {
                continue;
            }
            if (after < 6) {
                return i;
            }
            long size = ((b[i + 2] & 0xffL) << 24) | ((b[i + 3] & 0xff) << 16) | ((b[i + 4] & 0xff) << 8)
                    | (b[i + 5] & 0xff);
            if (size < 2 || size > MAX_DESCRIPTION || after > 6 + size
                    || after > 6 && b[i + 6] != '{' || after > 7 && b[i + 7] != '"') {
                continue;
            }
            return i;
        }
        return length;
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
