package dev.hyperfresh.vmm.control;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Flock;
import dev.hyperfresh.sys.Sys;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.UnixServer;
import dev.hyperfresh.sys.UnixSocket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * hfvisor's control socket (docs/CONTROL-PROTOCOL.md): accepts local clients of this process's user (or root),
 * serves each on its own daemon thread through a {@link ControlHandler}, and pushes {@link #publish published}
 * events to subscribers. A misbehaving client gets error replies or is disconnected; it cannot stall the
 * publisher or other clients.
 */
public final class ControlServer implements AutoCloseable {
    static final int MAX_CLIENTS = 32;
    /** How long a client that is not subscribed may stay silent, and how long a frame may take to arrive. */
    static final long IDLE_MS = 60_000;
    private static final System.Logger LOG = System.getLogger(ControlServer.class.getName());
    private static final int ECONNREFUSED = 111;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final long CLOSE_WAIT_MS = 2000;

    private final UnixServer listener;
    private final ControlHandler handler;
    private final long idleMs;
    /** The instance name's lock (NAME.lock beside NAME.sock): whoever holds it, and only they, may serve NAME. */
    private volatile Fd nameLock;
    private final int ownUid = Sys.C.geteuid();
    private final Map<ClientConnection, Thread> clients = new ConcurrentHashMap<>();
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread acceptor;

    private ControlServer(UnixServer listener, ControlHandler handler, Fd nameLock, long idleMs) {
        this.listener = listener;
        this.handler = handler;
        this.idleMs = idleMs;
        this.nameLock = nameLock;
        this.acceptor = new Thread(this::acceptLoop, "hf-control-accept-" + listener.path().getFileName());
        acceptor.setDaemon(true);
    }

    /**
     * Listens on {@code path} (mode 0600) once it holds the name's lock, so two processes can never both serve one
     * name: a socket file left behind by a process that died is then replaced; a name whose lock another process
     * holds (a live instance, or a standby that took over its VMs) is refused with {@link NameTakenException}.
     */
    public static ControlServer start(Path path, ControlHandler handler) {
        return start(path, handler, IDLE_MS);
    }

    static ControlServer start(Path path, ControlHandler handler, long idleMs) {
        return bind(path, handler, idleMs).accept();
    }

    /**
     * Takes the name and listens as {@link #start} does, but answers nobody until {@link #accept}: clients that
     * connect meanwhile wait in the backlog, so an instance can claim its name before it creates its VMs and still
     * never answer a command about a VM it has not started yet.
     */
    public static ControlServer bind(Path path, ControlHandler handler) {
        return bind(path, handler, IDLE_MS);
    }

    private static ControlServer bind(Path path, ControlHandler handler, long idleMs) {
        SocketDirectory.check(path.toAbsolutePath().getParent());
        Fd lock = Flock.tryExclusive(lockFile(path)).orElseThrow(() -> new NameTakenException(path));
        try {
            removeStaleSocket(path);
            return new ControlServer(UnixSocket.listen(path), handler, lock, idleMs);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** Starts answering clients (see {@link #bind}). */
    public ControlServer accept() {
        acceptor.start();
        return this;
    }

    /**
     * Deletes the socket file a dead instance left at {@code path}, under its name's lock so that no instance serving
     * or starting under the name is touched; nothing when the name is held. (The lock file stays: it is inert.)
     */
    public static void removeIfStale(Path path) {
        Optional<Fd> lock = Flock.tryExclusive(lockFile(path));
        if (lock.isPresent()) {
            try (Fd held = lock.get()) {
                removeStaleSocket(path);
            }
        }
    }

    /** NAME.lock for NAME.sock. */
    static Path lockFile(Path socket) {
        String file = socket.getFileName().toString();
        return socket.resolveSibling((file.endsWith(".sock") ? file.substring(0, file.length() - 5) : file) + ".lock");
    }

    /** The name lock, to hand to a successor with the VMs (an flock moves with its open file). */
    public Fd nameLock() {
        return nameLock;
    }

    public Path path() {
        return listener.path();
    }

    /**
     * Takes over its predecessor's name: with {@code lock} (the predecessor's name lock, received with the VMs, which
     * this process now holds too) renames this socket to {@code path}, replacing what is there, so clients keep using
     * the same name; then gives up its own name's lock. The old socket file's server keeps its (now unnamed) listener.
     */
    public void takeName(Path path, Fd lock) {
        listener.moveTo(path);
        Fd own = nameLock;
        nameLock = lock;
        if (own != lock) {
            own.close();
        }
    }

    /** Queues {@code event} for every subscriber; never blocks (a full subscriber queue drops and counts). */
    public void publish(Event event) {
        for (Subscription s : subscriptions) {
            s.offer(event);
        }
    }

    ControlHandler handler() {
        return handler;
    }

    void subscribe(Subscription s) {
        subscriptions.add(s);
    }

    void unsubscribe(Subscription s) {
        subscriptions.remove(s);
    }

    void disconnected(ClientConnection c) {
        clients.remove(c);
    }

    private void acceptLoop() {
        while (!closed.get()) {
            UnixSocket socket;
            try {
                socket = listener.accept();
            } catch (RuntimeException e) {
                if (closed.get()) {
                    return;
                }
                // e.g. EMFILE: keep serving the clients we have, retry after a breath.
                LOG.log(WARNING, "accept on " + path() + " failed", e);
                sleep(100);
                continue;
            }
            if (closed.get()) {
                socket.close();
                return;
            }
            admit(new FrameChannel(socket));
        }
    }

    private void admit(FrameChannel channel) {
        int number = connections.incrementAndGet();
        String refusal;
        String name;
        try {
            UnixSocket.PeerCredentials peer = channel.peerCredentials();
            name = "hf-control-" + number + "-pid" + peer.pid();
            refusal = PeerUid.refusal(peer.uid(), ownUid).map(why -> "control socket refused: " + why).orElse(clients.size() >= MAX_CLIENTS
                    ? "control socket busy: " + MAX_CLIENTS + " clients are connected already" : null);
        } catch (SysException e) {
            name = "hf-control-" + number;
            refusal = "control socket could not identify its peer: " + e.getMessage();
        }
        if (refusal != null) {
            LOG.log(INFO, "{0} on {1}: {2}", name, path(), refusal);
            try {
                channel.send(Replies.error(null, refusal), List.of());
            } catch (RuntimeException e) {
                LOG.log(INFO, "{0}: refusal not delivered: {1}", name, e.getMessage());
            } finally {
                channel.close();
            }
            return;
        }
        // A client that stops mid-frame, or connects and says nothing, cannot hold one of the MAX_CLIENTS places.
        channel.setReceiveTimeout(idleMs);
        ClientConnection client = new ClientConnection(this, channel, name);
        Thread thread = new Thread(client, name);
        thread.setDaemon(true);
        clients.put(client, thread);
        thread.start();
    }

    /** Stops accepting, disconnects every client and removes the socket file; idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Subscribers get the last events (a VM's final heartbeats before a handover) before the connections go.
        long drainUntil = System.currentTimeMillis() + CLOSE_WAIT_MS;
        while (subscriptions.stream().anyMatch(s -> !s.drained()) && System.currentTimeMillis() < drainUntil) {
            sleep(5);
        }
        // Closing a descriptor does not wake a thread blocked in accept on it; a connection does — unless a
        // successor has taken the socket's name, whose server must not be disturbed (the acceptor is a daemon).
        if (listener.ownsPath()) {
            try (UnixSocket wake = UnixSocket.connect(path())) {
                join(acceptor, CLOSE_WAIT_MS);
            } catch (SysException e) {
                LOG.log(INFO, "could not wake the acceptor on " + path() + ": " + e.getMessage());
            }
        }
        listener.close();
        nameLock.close();
        // A request answered meanwhile (the `stop` that ended this instance) gets its reply out before the cut.
        long answered = System.nanoTime() + CLOSE_WAIT_MS * 1_000_000;
        while (clients.entrySet().stream().anyMatch(c -> c.getKey().answering() && c.getValue() != Thread.currentThread())
                && System.nanoTime() < answered) {
            sleep(1);
        }
        clients.keySet().forEach(ClientConnection::shutdown);
        long deadline = System.currentTimeMillis() + CLOSE_WAIT_MS;
        for (Thread t : clients.values()) {
            join(t, Math.max(1, deadline - System.currentTimeMillis()));
        }
    }

    private static void removeStaleSocket(Path path) {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!isSocket(path)) {
            throw new IllegalStateException(path + " exists and is not a socket; not replacing it");
        }
        try (UnixSocket probe = UnixSocket.connect(path)) {
            throw new IllegalStateException("another process is already serving the control socket " + path);
        } catch (SysException e) {
            if (e.errno() != ECONNREFUSED) {
                throw e;
            }
        }
        try {
            Files.delete(path);
        } catch (IOException e) {
            throw new UncheckedIOException("removing stale control socket " + path, e);
        }
    }

    private static boolean isSocket(Path path) {
        try {
            return ((Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & S_IFMT) == S_IFSOCK;
        } catch (IOException e) {
            throw new UncheckedIOException("checking " + path, e);
        }
    }

    private static void join(Thread t, long millis) {
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
