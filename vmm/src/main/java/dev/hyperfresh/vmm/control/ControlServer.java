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
import java.nio.file.attribute.PosixFilePermissions;
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

    /** How often the socket file is looked for: one deleted is bound again (see {@link #watchLoop}). */
    public static final long WATCH_MS = 1000;

    private volatile UnixServer listener;
    private final ControlHandler handler;
    private final long idleMs;
    /** The instance name's lock (NAME.lock beside NAME.sock): whoever holds it, and only they, may serve NAME. */
    private volatile Fd nameLock;
    private final int ownUid = Sys.C.geteuid();
    private final Map<ClientConnection, Thread> clients = new ConcurrentHashMap<>();
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Thread acceptor;
    private final Thread watcher;
    /** Whether the last attempt to bind a deleted socket again failed (said once, not every second). */
    private boolean rebindFailed;
    /** False once a successor has the name: a file deleted then is not this instance's to bind again. */
    private volatile boolean servesName = true;

    private ControlServer(UnixServer listener, ControlHandler handler, Fd nameLock, long idleMs) {
        this.listener = listener;
        this.handler = handler;
        this.idleMs = idleMs;
        this.nameLock = nameLock;
        this.acceptor = acceptor(listener);
        this.watcher = new Thread(this::watchLoop, "hf-control-watch");
        watcher.setDaemon(true);
    }

    private Thread acceptor(UnixServer on) {
        Thread t = new Thread(() -> acceptLoop(on), "hf-control-accept-" + on.path().getFileName());
        t.setDaemon(true);
        return t;
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
        watcher.start();
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
    public synchronized void takeName(Path path, Fd lock) {
        listener.moveTo(path);
        Fd own = nameLock;
        nameLock = lock;
        if (own != lock) {
            own.close();
        }
    }

    /** The VMs went to a successor, which took the name: from now on a deleted socket file is left to it. */
    public void handedOn() {
        servesName = false;
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

    private void acceptLoop(UnixServer on) {
        while (!closed.get() && listener == on) {
            UnixSocket socket;
            try {
                socket = on.accept();
            } catch (RuntimeException e) {
                if (closed.get() || listener != on) {
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

    /**
     * Binds the socket again when its file is gone — a clean-up of stale sockets that took this live one too, the
     * socket directory removed (a user's runtime directory at logout) —, so that the VMs it serves never become
     * unreachable: under the name's lock, taken again on a new lock file if that went too; when another process
     * holds the name by then, this one is said to be unreachable, in the log, and tries again each time.
     * Only a missing file counts: a successor's socket renamed over this one's path is a handover.
     */
    private void watchLoop() {
        while (!closed.get()) {
            sleep(WATCH_MS);
            rebindIfGone();
        }
    }

    private synchronized void rebindIfGone() {
        Path path = path();
        if (closed.get() || !servesName || Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Path dir = path.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
            SocketDirectory.check(dir);
            Fd lock = ownsLockFile(path) ? nameLock
                    : Flock.tryExclusive(lockFile(path)).orElseThrow(() -> new NameTakenException(path));
            UnixServer fresh = UnixSocket.listen(path);
            UnixServer old = listener;
            Fd oldLock = nameLock;
            listener = fresh;
            nameLock = lock;
            acceptor = acceptor(fresh);
            acceptor.start();
            old.close();
            if (oldLock != lock) {
                oldLock.close();
            }
            rebindFailed = false;
            LOG.log(WARNING, "the control socket {0} had been deleted: listening there again", path);
        } catch (RuntimeException | IOException e) {
            if (!rebindFailed) {
                LOG.log(WARNING, "the control socket " + path + " was deleted and cannot be bound again (" + e
                        + "): this instance is unreachable until it can; its VMs run on", e);
            }
            rebindFailed = true;
        }
    }

    /** Whether the lock file at the name is still the one this server holds (only the socket file went). */
    private boolean ownsLockFile(Path path) {
        try {
            return Files.getAttribute(lockFile(path), "unix:ino").equals(
                    Files.getAttribute(Path.of("/proc/self/fd/" + nameLock.get()), "unix:ino"));
        } catch (IOException gone) {
            return false;
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
        synchronized (this) {   // not while the watcher binds the socket again
            listener.close();   // wakes the acceptor
            nameLock.close();
        }
        join(acceptor, CLOSE_WAIT_MS);
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
