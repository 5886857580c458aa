package dev.hyperfresh.vmm.control;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

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
    private static final System.Logger LOG = System.getLogger(ControlServer.class.getName());
    private static final int ECONNREFUSED = 111;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final long CLOSE_WAIT_MS = 2000;

    private final UnixServer listener;
    private final ControlHandler handler;
    private final int ownUid = Sys.C.geteuid();
    private final Map<ClientConnection, Thread> clients = new ConcurrentHashMap<>();
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread acceptor;

    private ControlServer(UnixServer listener, ControlHandler handler) {
        this.listener = listener;
        this.handler = handler;
        this.acceptor = new Thread(this::acceptLoop, "hf-control-accept-" + listener.path().getFileName());
        acceptor.setDaemon(true);
    }

    /**
     * Listens on {@code path} (mode 0600). A socket file left behind by a process that died is replaced; one
     * that still accepts connections is not: another hfvisor owns it.
     */
    public static ControlServer start(Path path, ControlHandler handler) {
        removeStaleSocket(path);
        ControlServer server = new ControlServer(UnixSocket.listen(path), handler);
        server.acceptor.start();
        return server;
    }

    public Path path() {
        return listener.path();
    }

    /**
     * Renames this socket to {@code path}, replacing what is there: a successor taking over its predecessor's
     * socket, so clients keep using the same name. The old socket file's server keeps its (now unnamed) listener.
     */
    public void moveTo(Path path) {
        listener.moveTo(path);
    }

    /** Queues {@code event} for every subscriber; never blocks (a full subscriber queue drops and counts). */
    public void publish(Event event) {
        for (Subscription s : subscriptions) {
            s.offer(event);
        }
    }

    /** Empty when {@code peerUid} may use the socket, else the refusal sentence sent to the peer. */
    static Optional<String> refusal(int peerUid, int ownUid) {
        if (peerUid == ownUid || peerUid == 0) {
            return Optional.empty();
        }
        return Optional.of("control socket refused: peer uid " + peerUid + " is neither this hfvisor's uid "
                + ownUid + " nor root");
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
            refusal = refusal(peer.uid(), ownUid).orElse(clients.size() >= MAX_CLIENTS
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
        long drainUntil = System.currentTimeMillis() + CLOSE_WAIT_MS / 2;
        while (subscriptions.stream().anyMatch(s -> !s.drained()) && System.currentTimeMillis() < drainUntil) {
            sleep(5);
        }
        sleep(20);
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
