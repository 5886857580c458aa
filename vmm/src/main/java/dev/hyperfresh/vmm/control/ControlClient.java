package dev.hyperfresh.vmm.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.UnixSocket;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.persist.VmState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A connection to an hfvisor's control socket. Requests are answered one at a time, in order; an error reply
 * becomes a {@link ControlException} carrying hfvisor's sentence. After {@link #subscribe} the connection only
 * delivers events: use another one for requests.
 */
public final class ControlClient implements AutoCloseable {
    private static final Pattern INSTANCE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private final FrameChannel channel;
    private final Path path;
    private final AtomicLong nextId = new AtomicLong(1);
    private volatile Thread events;

    private ControlClient(FrameChannel channel, Path path) {
        this.channel = channel;
        this.path = path;
    }

    public static ControlClient connect(Path socket) {
        return new ControlClient(new FrameChannel(UnixSocket.connect(socket)), socket);
    }

    /** {@code $XDG_RUNTIME_DIR/hyperfresh} when that variable is set, else {@code /run/hyperfresh}; created 0700. */
    public static Path defaultSocketDir() {
        return socketDir(System.getenv());
    }

    /** Where the instance named {@code instanceName} listens: {@code <default socket dir>/<name>.sock}. */
    public static Path socketPath(String instanceName) {
        checkName(instanceName);
        return defaultSocketDir().resolve(instanceName + ".sock");
    }

    /** Where the instance named {@code instanceName} listens in {@code dir}: {@code <dir>/<name>.sock}. */
    public static Path socketPath(Path dir, String instanceName) {
        checkName(instanceName);
        return dir.resolve(instanceName + ".sock");
    }

    /** A name is a file name in the socket directory, never a path out of it. */
    private static void checkName(String instanceName) {
        if (!INSTANCE_NAME.matcher(instanceName).matches()) {
            throw new IllegalArgumentException("instance name \"" + instanceName + "\" must be letters, digits, '.',"
                    + " '_' or '-', starting with a letter or digit");
        }
    }

    static Path socketDir(Map<String, String> env) {
        String runtime = env.get("XDG_RUNTIME_DIR");
        Path base = runtime == null || !runtime.startsWith("/") ? Path.of("/run") : Path.of(runtime);
        Path dir = base.resolve("hyperfresh");
        try {
            return Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new UncheckedIOException("creating the control socket directory " + dir, e);
        }
    }

    public void ping() {
        request(header(Op.PING, null));
    }

    public InstanceInfo info() {
        JsonNode info = request(header(Op.INFO, null)).header().get("info");
        try {
            return Json.MAPPER.treeToValue(info, InstanceInfo.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new ControlException("hfvisor's info reply is malformed: " + e.getMessage());
        }
    }

    /** Pauses the VM named {@code vm}, or every VM when {@code vm} is null. */
    public void pause(String vm) {
        request(header(Op.PAUSE, vm));
    }

    /** Resumes the VM named {@code vm}, or every VM when {@code vm} is null. */
    public void resume(String vm) {
        request(header(Op.RESUME, vm));
    }

    /** Resets the VM named {@code vm}, or every VM when {@code vm} is null; returns once each boots again. */
    public void reset(String vm) {
        request(header(Op.RESET, vm));
    }

    /**
     * Presses the ACPI power button of the VM named {@code vm}, or of every VM when {@code vm} is null; returns at
     * once, before the guests have shut down.
     */
    public void shutdown(String vm) {
        request(header(Op.SHUTDOWN, vm));
    }

    /** The saved state of the VM named {@code vm}, or of every VM when {@code vm} is null. */
    public List<VmState> saveState(String vm) {
        List<VmState> states = new ArrayList<>();
        for (byte[] payload : request(header(Op.SAVE_STATE, vm)).payloads()) {
            states.add(StateCodec.decode(payload));
        }
        return states;
    }

    /**
     * Turns this connection into an event stream: {@code consumer} gets every event on a daemon thread until the
     * connection closes. A consumer that throws ends the delivery.
     */
    public synchronized void subscribe(Consumer<Event> consumer) {
        request(header(Op.SUBSCRIBE, null));
        Thread t = new Thread(() -> deliver(consumer), "hf-control-events-" + path.getFileName());
        t.setDaemon(true);
        events = t;
        t.start();
    }

    /**
     * Sends {@code header} (with {@code "v"} and a fresh {@code "id"} added unless present) and the payloads, and
     * returns the successful reply, whose descriptors the caller owns.
     */
    public synchronized Frame request(ObjectNode header, byte[]... payloads) {
        if (events != null) {
            throw new IllegalStateException("this control connection is subscribed to events; open another for"
                    + " requests");
        }
        ObjectNode h = header.deepCopy();
        if (!h.has("v")) {
            h.put("v", ControlProtocol.VERSION);
        }
        if (!h.has("id")) {
            h.put("id", nextId.getAndIncrement());
        }
        try {
            channel.send(h, List.of(payloads));
        } catch (SysException e) {
            // A server that refuses this connection closes it without reading; its reason is still waiting here.
            Frame refusal = receiveAfterFailedSend();
            if (refusal != null && refusal.error() != null) {
                throw new ControlException(refusal.error());
            }
            // The server went away between accepting this connection and reading the request (it exited: an
            // instance that has just handed its VMs over does): as closed as a connection closed before its reply.
            throw new ControlException("hfvisor closed the control connection " + path + " before taking the request ("
                    + e.getMessage() + ")");
        }
        return checked(receiveReply(), h.get("id"));
    }

    /** Disconnects; a subscription's delivery thread finishes first. Idempotent. */
    @Override
    public void close() {
        channel.shutdown();
        Thread t = events;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            channel.close();
        }
    }

    private Frame receiveReply() {
        Frame reply;
        try {
            reply = channel.receive();
        } catch (ProtocolException e) {
            throw new ControlException("hfvisor sent a malformed reply: " + e.getMessage());
        }
        if (reply == null) {
            throw new ControlException("hfvisor closed the control connection " + path + " without replying");
        }
        // No reply carries descriptors; any that came are closed rather than left to pile up in this process.
        reply.fds().forEach(Fd::close);
        return reply;
    }

    private Frame receiveAfterFailedSend() {
        try {
            return channel.receive();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Frame checked(Frame reply, JsonNode id) {
        JsonNode v = reply.header().get("v");
        if (!reply.ok()) {
            String error = reply.error();
            throw failed(reply, error != null ? error : "hfvisor refused the request without saying why");
        }
        if (v == null || v.asInt() != ControlProtocol.VERSION) {
            throw failed(reply, "hfvisor replied in control protocol version " + v + "; this client speaks "
                    + ControlProtocol.VERSION);
        }
        // Compared as JSON text: the id we sent as a long comes back parsed as an int node, unequal as nodes.
        if (!id.toString().equals(String.valueOf(reply.header().get("id")))) {
            throw failed(reply, "hfvisor's reply carries id " + reply.header().get("id") + ", not the request's "
                    + id);
        }
        return reply;
    }

    private static ControlException failed(Frame reply, String message) {
        reply.fds().forEach(Fd::close);
        return new ControlException(message);
    }

    private void deliver(Consumer<Event> consumer) {
        while (true) {
            Frame frame;
            try {
                frame = channel.receive();
            } catch (ProtocolException e) {
                if (e.streamIntact()) {
                    continue;
                }
                return;
            } catch (RuntimeException e) {
                return;
            }
            if (frame == null) {
                return;
            }
            frame.fds().forEach(Fd::close);
            if (Event.OP.equals(frame.header().path("op").textValue())) {
                consumer.accept(Event.fromHeader(frame.header()));
            }
        }
    }

    private static ObjectNode header(Op op, String vm) {
        ObjectNode h = Json.object().put("op", op.wireName);
        if (vm != null) {
            h.put("vm", vm);
        }
        return h;
    }
}
