package dev.hyperfresh.sys;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import jnr.ffi.Pointer;

/**
 * A connected AF_UNIX stream socket that can carry file descriptors (SCM_RIGHTS) alongside bytes; or a datagram
 * socket ({@link #datagramTo}, {@link #datagramAt}), where each send is one message and each receive takes one.
 *
 * <p>Use at most one sending and one receiving thread at a time: concurrent senders would interleave chunks.
 */
public final class UnixSocket implements AutoCloseable {
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERCRED = 17;
    private static final int SO_RCVTIMEO = 20;
    private static final int UCRED_BYTES = 12;
    private static final int[] NO_FDS = new int[0];
    /** Bounds the native staging buffer, so a large frame never needs an equally large off-heap copy. */
    private static final int CHUNK_BYTES = 256 * 1024;

    /** What one {@link #receive} call got: {@code length} bytes (0 at end of stream) and the descriptors. */
    public record Received(int length, List<Fd> fds) {
        public Received {
            fds = List.copyOf(fds);
        }
    }

    /** The process and effective ids of the peer when it connected (or created the socketpair). */
    public record PeerCredentials(int pid, int uid, int gid) {
    }

    /** Both ends of a {@link #pair()}. */
    public record Pair(UnixSocket first, UnixSocket second) implements AutoCloseable {
        @Override
        public void close() {
            try {
                first.close();
            } finally {
                second.close();
            }
        }
    }

    private final Fd fd;

    UnixSocket(Fd fd) {
        this.fd = fd;
    }

    /** Binds and listens on {@code path}; see {@link UnixServer} for the file's permissions and lifetime. */
    public static UnixServer listen(Path path) {
        return new UnixServer(path);
    }

    public static UnixSocket connect(Path path) {
        UnixAddress address = UnixAddress.of(path);
        Fd fd = open("unix socket connected to " + path);
        return checked(fd, Sys.C.connect(fd.get(), address.pointer(), address.length()), "connect(" + path + ")");
    }

    /**
     * A datagram socket whose sends go to {@code address} (a path, or {@code @NAME} in the abstract namespace), each
     * as one message.
     */
    public static UnixSocket datagramTo(String address) {
        UnixAddress to = UnixAddress.of(address);
        Fd fd = open(SOCK_DGRAM, "datagram socket to " + address);
        return checked(fd, Sys.C.connect(fd.get(), to.pointer(), to.length()), "connect(" + address + ")");
    }

    /**
     * A datagram socket receiving at {@code address} (a path, a new file; or {@code @NAME}): the receiving end of
     * {@link #datagramTo}.
     */
    public static UnixSocket datagramAt(String address) {
        UnixAddress at = UnixAddress.of(address);
        Fd fd = open(SOCK_DGRAM, "datagram socket at " + address);
        return checked(fd, Sys.C.bind(fd.get(), at.pointer(), at.length()), "bind(" + address + ")");
    }

    /** {@code fd} as a socket once {@code call} returned {@code result}; else closed, and the call's error thrown. */
    private static UnixSocket checked(Fd fd, int result, String call) {
        if (result < 0) {
            SysException e = new SysException(call, Sys.errno());
            fd.close();
            throw e;
        }
        return new UnixSocket(fd);
    }

    /**
     * Who listens on {@code path}, as the kernel records it at connect, before the listener accepts: the process
     * that listened, its pid as this process's pid namespace numbers it (0 when it lives in one this process cannot
     * see). The probe connection is closed unaccepted. Empty when the listener's backlog is full: the connect is
     * non-blocking, never a wait on a busy listener.
     *
     * @throws SysException when nothing listens there
     */
    public static Optional<PeerCredentials> listenerOf(Path path) {
        UnixAddress address = UnixAddress.of(path);
        try (UnixSocket probe = new UnixSocket(open(SOCK_STREAM | SOCK_NONBLOCK, "probe of " + path))) {
            if (Sys.C.connect(probe.fd.get(), address.pointer(), address.length()) < 0) {
                int errno = Sys.errno();
                if (errno == Sys.EAGAIN) {
                    return Optional.empty();
                }
                throw new SysException("connect(" + path + ")", errno);
            }
            return Optional.of(probe.peerCredentials());
        }
    }

    /** A connected socket inherited from the process that started this one; takes ownership of {@code fd}. */
    public static UnixSocket adopt(Fd fd) {
        return new UnixSocket(fd);
    }

    /** Two connected sockets, e.g. for a child process or for tests. */
    public static Pair pair() {
        int[] ends = new int[2];
        Sys.check(Sys.C.socketpair(UnixAddress.AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends), "socketpair(AF_UNIX)");
        return new Pair(new UnixSocket(new Fd(ends[0], "socketpair end 0")),
                new UnixSocket(new Fd(ends[1], "socketpair end 1")));
    }

    static Fd open(String what) {
        return open(SOCK_STREAM, what);
    }

    private static Fd open(int type, String what) {
        return new Fd(Sys.check(Sys.C.socket(UnixAddress.AF_UNIX, type | SOCK_CLOEXEC, 0), "socket(AF_UNIX)"), what);
    }

    /**
     * Writes all of {@code data}, with {@code fds} attached to the first chunk. A stream socket only delivers
     * descriptors together with data, so sending descriptors needs at least one byte.
     */
    public void send(byte[] data, Fd... fds) {
        if (fds.length > 0 && data.length == 0) {
            throw new IllegalArgumentException("file descriptors need at least one data byte to travel with");
        }
        int[] numbers = new int[fds.length];
        for (int i = 0; i < fds.length; i++) {
            numbers[i] = fds[i].get();
        }
        sendAll(data, 0, data.length, numbers);
    }

    /** Writes {@code length} bytes of {@code data} from {@code offset}, however many sendmsg calls that takes. */
    public void writeFully(byte[] data, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, data.length);
        sendAll(data, offset, length, NO_FDS);
    }

    private void sendAll(byte[] data, int offset, int length, int[] fds) {
        if (length == 0) {
            return;
        }
        Pointer chunk = Sys.allocate(Math.min(length, CHUNK_BYTES));
        int sent = 0;
        while (sent < length) {
            int n = Math.min(length - sent, CHUNK_BYTES);
            chunk.put(0, data, offset + sent, n);
            // The kernel attaches the descriptors to the bytes of the call that carried them, so only the first.
            MessageHeader message = MessageHeader.sending(chunk, n, sent == 0 ? fds : NO_FDS);
            // MSG_NOSIGNAL: a vanished peer is an EPIPE error here, not a process-wide SIGPIPE.
            long r = Sys.C.sendmsg(fd.get(), message.pointer(), MessageHeader.MSG_NOSIGNAL);
            Reference.reachabilityFence(message);
            if (r < 0) {
                int errno = Sys.errno();
                if (errno == Sys.EINTR) {
                    continue;
                }
                throw new SysException("sendmsg(" + fd.what() + ")", errno, sent + " of " + length + " bytes sent");
            }
            sent += (int) r;
        }
    }

    /**
     * Makes every later receive fail with {@link SysException#timedOut()} once {@code millis} pass without a byte
     * (SO_RCVTIMEO); 0 waits for ever again.
     */
    public void setReceiveTimeout(long millis) {
        Pointer timeval = Sys.allocate(16);
        timeval.putLong(0, millis / 1000);
        timeval.putLong(8, (millis % 1000) * 1000);
        Sys.check(Sys.C.setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, timeval, 16),
                "setsockopt(" + fd.what() + ", SO_RCVTIMEO " + millis + " ms)");
    }

    /**
     * One recvmsg: up to {@code buf.length} bytes and at most {@code maxFds} descriptors, which the caller owns.
     * More descriptors than that is a protocol error: the kernel has dropped the extra ones, so this closes the
     * rest and throws rather than hand over an incomplete set.
     */
    public Received receive(byte[] buf, int maxFds) {
        if (buf.length == 0) {
            throw new IllegalArgumentException("receive needs room for at least one byte; 0 means end of stream");
        }
        if (maxFds < 0) {
            throw new IllegalArgumentException("maxFds must not be negative, got " + maxFds);
        }
        int length = Math.min(buf.length, CHUNK_BYTES);
        Pointer chunk = Sys.allocate(length);
        Received received = receiveOnce(chunk, length, maxFds);
        chunk.get(0, buf, 0, received.length());
        return received;
    }

    /** Reads exactly {@code length} bytes into {@code buf} at {@code offset}; end of stream first is an error. */
    public void readFully(byte[] buf, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, buf.length);
        if (length == 0) {
            return;
        }
        Pointer chunk = Sys.allocate(Math.min(length, CHUNK_BYTES));
        int got = 0;
        while (got < length) {
            int n = receiveOnce(chunk, Math.min(length - got, CHUNK_BYTES), 0).length();
            if (n == 0) {
                throw new UncheckedIOException(new EOFException(fd.what() + ": peer closed the connection after "
                        + got + " of " + length + " bytes"));
            }
            chunk.get(0, buf, offset + got, n);
            got += n;
        }
    }

    private Received receiveOnce(Pointer chunk, int length, int maxFds) {
        MessageHeader message = MessageHeader.receiving(chunk, length, maxFds);
        long r;
        while (true) {
            // MSG_CMSG_CLOEXEC: received descriptors must not leak into processes this one starts.
            r = Sys.C.recvmsg(fd.get(), message.pointer(), MessageHeader.MSG_CMSG_CLOEXEC);
            if (r >= 0) {
                break;
            }
            int errno = Sys.errno();
            if (errno != Sys.EINTR) {
                throw new SysException("recvmsg(" + fd.what() + ")", errno);
            }
        }
        List<Fd> fds = new ArrayList<>();
        for (int n : message.receivedFds()) {
            fds.add(new Fd(n, "fd received over " + fd.what()));
        }
        if (message.controlTruncated()) {
            UncheckedIOException e = new UncheckedIOException(new IOException("recvmsg(" + fd.what()
                    + "): the peer sent more than the " + maxFds + " file descriptor(s) expected; the kernel"
                    + " discarded the excess, the " + fds.size() + " received were closed and the message's " + r
                    + " data bytes are lost"));
            for (Fd received : fds) {
                try {
                    received.close();
                } catch (RuntimeException closing) {
                    e.addSuppressed(closing);
                }
            }
            throw e;
        }
        return new Received((int) r, fds);
    }

    public PeerCredentials peerCredentials() {
        Pointer ucred = Sys.allocate(UCRED_BYTES);
        Pointer length = Sys.allocate(4);
        length.putInt(0, UCRED_BYTES);
        Sys.check(Sys.C.getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, ucred, length),
                "getsockopt(" + fd.what() + ", SO_PEERCRED)");
        return new PeerCredentials(ucred.getInt(0), ucred.getInt(4), ucred.getInt(8));
    }

    /** The descriptor, e.g. to hand this connection itself to another process. */
    public Fd fd() {
        return fd;
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return fd.toString();
    }
}
