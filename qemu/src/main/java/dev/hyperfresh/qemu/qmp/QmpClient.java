package dev.hyperfresh.qemu.qmp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.sys.MonotonicClock;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A QMP (QEMU Machine Protocol) connection: JSON objects over a unix stream socket. Connecting reads QEMU's
 * greeting and negotiates capabilities; commands carry an id so several threads may issue them at once; events
 * go to listeners on the reader thread.
 */
public final class QmpClient implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a greeting may take before the socket's holder is looked for: a free QEMU greets at once. */
    private static final Duration HOLDER_CHECK = Duration.ofMillis(200);
    /** strerror(EAGAIN), which a non-blocking connect(2) to a unix socket whose listen queue is full fails with. */
    private static final String QUEUE_FULL = "Resource temporarily unavailable";
    private static final Duration CONNECT_RETRY = Duration.ofMillis(10);

    private final Path socket;
    private final SocketChannel channel;
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
    private final List<Consumer<QmpEvent>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong nextId = new AtomicLong();
    private final Thread reader;
    private volatile String closedReason;

    private QmpClient(Path socket, SocketChannel channel) {
        this.socket = socket;
        this.channel = channel;
        this.reader = new Thread(this::readLoop, "qmp-reader " + socket.getFileName());
        reader.setDaemon(true);
    }

    /** Connects, waits up to {@code timeout} for the greeting and leaves capabilities negotiation mode. */
    public static QmpClient connect(Path socket, Duration timeout) {
        if (!Files.exists(socket)) {
            throw new QmpIoException("no QMP socket at " + socket + " (is QEMU running with -qmp unix:" + socket
                    + ",server=on,wait=off?)");
        }
        SocketChannel channel = connectWithin(socket, timeout);
        QmpClient client = new QmpClient(socket, channel);
        client.reader.start();
        try {
            client.awaitGreeting(timeout);
            client.execute("qmp_capabilities", Map.of(), timeout);
            return client;
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * connect(2) without blocking: a QEMU whose one client is served leaves the next ones in its listen queue, and
     * once that (short) queue is full a blocking connect would wait for as long as the other client stays. A full
     * queue is tried again (on a new socket: a failed connect closes its channel) until {@code timeout}; then its
     * holder is named, as for a greeting that does not come.
     */
    private static SocketChannel connectWithin(Path socket, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            SocketChannel channel = openUnixSocket();
            try {
                channel.configureBlocking(false);
                boolean connected = channel.connect(UnixDomainSocketAddress.of(socket));
                channel.configureBlocking(true);
                if (!connected) {
                    channel.finishConnect();   // in progress: not seen with unix sockets, but legal
                }
                return channel;
            } catch (IOException e) {
                closeQuietly(channel);
                if (!QUEUE_FULL.equals(e.getMessage())) {
                    throw new QmpIoException("cannot connect to the QMP socket " + socket + ": " + e.getMessage()
                            + " (the QEMU that created it has probably exited)", e);
                }
            }
            if (System.nanoTime() - deadline > 0) {
                BusySocket.holder(socket).ifPresent(held -> {
                    throw new QmpIoException(held);
                });
                throw new QmpTimeoutException("QEMU did not take a connection on " + socket + " within "
                        + timeout.toMillis() + " ms (another client may hold this QMP socket: QEMU serves one at a"
                        + " time, and the clients waiting behind it fill its queue)");
            }
            try {
                Thread.sleep(CONNECT_RETRY.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new QmpIoException("interrupted while connecting to " + socket, e);
            }
        }
    }

    private static SocketChannel openUnixSocket() {
        try {
            return SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new QmpIoException("cannot create a unix socket: " + e.getMessage(), e);
        }
    }

    public static QmpClient connect(Path socket) {
        return connect(socket, DEFAULT_TIMEOUT);
    }

    /** QEMU's greeting: {@code {"version": {...}, "capabilities": [...]}}. */
    public JsonNode greeting() {
        return greeting.getNow(null);
    }

    public Path socket() {
        return socket;
    }

    public JsonNode execute(String command) {
        return execute(command, Map.of(), DEFAULT_TIMEOUT);
    }

    public JsonNode execute(String command, Map<String, ?> arguments) {
        return execute(command, arguments, DEFAULT_TIMEOUT);
    }

    /** Runs {@code command} and returns its {@code return} value; a QMP error becomes a {@link QmpError}. */
    public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) {
        return await(submit(command, arguments), timeout, command);
    }

    /** Waits for the answer to a {@link #submit}ted {@code command}, as {@link #execute} does. */
    public JsonNode await(CompletableFuture<JsonNode> answer, String command) {
        return await(answer, DEFAULT_TIMEOUT, command);
    }

    /**
     * Sends {@code command} now without waiting: its {@code return} value comes later, or a {@link QmpError}, or a
     * {@link QmpIoException} if it could not be sent or the connection ends first. Unlike {@link #execute}, this may
     * be called from a listener, on the reader thread that will deliver the answer.
     */
    public CompletableFuture<JsonNode> submit(String command, Map<String, ?> arguments) {
        String id = Long.toString(nextId.incrementAndGet());
        ObjectNode request = JSON.createObjectNode();
        request.put("execute", command);
        if (!arguments.isEmpty()) {
            request.set("arguments", JSON.valueToTree(arguments));
        }
        request.put("id", id);
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            send(request);
        } catch (RuntimeException e) {
            pending.remove(id);
            return CompletableFuture.failedFuture(e);
        }
        return reply.whenComplete((answer, failure) -> pending.remove(id)).thenApply(answer -> {
            JsonNode error = answer.get("error");
            if (error != null) {
                throw new QmpError(command, error.path("class").asText("?"), error.path("desc").asText("?"));
            }
            return answer.path("return");
        });
    }

    /**
     * {@code listener} runs on the reader thread for every event: it must return quickly, must not throw (that
     * ends the connection) and must not wait for a command's answer (which that same thread would deliver).
     */
    public void addListener(Consumer<QmpEvent> listener) {
        listeners.add(listener);
    }

    public boolean isOpen() {
        return closedReason == null;
    }

    @Override
    public void close() {
        fail("the QMP connection to " + socket + " was closed by this process");
        closeQuietly(channel);
    }

    private void awaitGreeting(Duration timeout) {
        JsonNode hello;
        try {
            hello = await(greeting, timeout.compareTo(HOLDER_CHECK) < 0 ? timeout : HOLDER_CHECK, "the greeting");
        } catch (QmpTimeoutException notYet) {
            if (timeout.compareTo(HOLDER_CHECK) <= 0) {
                throw notYet;
            }
            BusySocket.holder(socket).ifPresent(held -> {
                throw new QmpIoException(held);
            });
            hello = await(greeting, timeout, "the greeting");
        }
        if (!hello.has("version")) {
            throw new QmpIoException(socket + " is not a QMP socket: its greeting was " + hello);
        }
    }

    private JsonNode await(CompletableFuture<JsonNode> future, Duration timeout, String what) {
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new QmpTimeoutException("QEMU did not answer " + what + " on " + socket + " within "
                    + timeout.toMillis() + " ms" + (greeting.isDone() ? ""
                    : " (another client may hold this QMP socket: QEMU serves one at a time)"));
        } catch (ExecutionException e) {
            throw (RuntimeException) e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpIoException("interrupted while waiting for " + what + " on " + socket, e);
        }
    }

    private void send(ObjectNode request) {
        String reason = closedReason;
        if (reason != null) {
            throw new QmpIoException(reason);
        }
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(request);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("arguments of " + request.path("execute") + " are not JSON", e);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        synchronized (channel) {
            try {
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } catch (IOException e) {
                throw new QmpIoException("cannot send " + request.path("execute").asText() + " to " + socket + ": "
                        + e.getMessage(), e);
            }
        }
    }

    private void readLoop() {
        String reason = "QEMU closed the QMP connection " + socket;
        try (MappingIterator<JsonNode> messages = JSON.readerFor(JsonNode.class).readValues(new ChannelInput())) {
            while (messages.hasNextValue()) {
                dispatch(messages.nextValue());
            }
        } catch (IOException | RuntimeException e) {
            if (closedReason == null) {
                reason = "the QMP connection " + socket + " broke: " + e.getMessage();
            }
        }
        fail(reason);
    }

    private void dispatch(JsonNode message) {
        if (message.has("QMP")) {
            greeting.complete(message.get("QMP"));
        } else if (message.has("event")) {
            JsonNode ts = message.path("timestamp");
            QmpEvent event = new QmpEvent(message.get("event").asText(), message.path("data"),
                    ts.path("seconds").asLong() * 1_000_000 + ts.path("microseconds").asLong(), MonotonicClock.nanos());
            for (Consumer<QmpEvent> listener : listeners) {
                listener.accept(event);
            }
        } else {
            CompletableFuture<JsonNode> reply = pending.get(message.path("id").asText());
            if (reply != null) {
                reply.complete(message);
            }
        }
    }

    private void fail(String reason) {
        if (closedReason == null) {
            closedReason = reason;
        }
        QmpIoException e = new QmpIoException(closedReason);
        greeting.completeExceptionally(e);
        pending.values().forEach(f -> f.completeExceptionally(e));
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a socket we no longer use: nothing to recover
        }
    }

    /**
     * A plain stream over the channel. Not {@code Channels.newInputStream}: that one holds the channel's blocking
     * lock while it waits, which would stall a concurrent command write.
     */
    private final class ChannelInput extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return len == 0 ? 0 : channel.read(ByteBuffer.wrap(b, off, len));
        }
    }
}
