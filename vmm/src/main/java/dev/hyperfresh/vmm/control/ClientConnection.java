package dev.hyperfresh.vmm.control;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.WARNING;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.persist.VmState;
import java.util.ArrayList;
import java.util.List;

/**
 * One accepted client, served on its own thread: requests are answered in order; after {@code subscribe} a
 * second thread also pushes events on the same connection. Whatever the client sends, only this connection is
 * affected.
 */
final class ClientConnection implements Runnable {
    private static final System.Logger LOG = System.getLogger(ClientConnection.class.getName());

    private final ControlServer server;
    private final FrameChannel channel;
    private final String name;
    private Subscription subscription;
    private Thread pump;
    /** Between a request read and its reply sent: a closing server lets such a reply go out first. */
    private volatile boolean answering;

    ClientConnection(ControlServer server, FrameChannel channel, String name) {
        this.server = server;
        this.channel = channel;
        this.name = name;
    }

    @Override
    public void run() {
        try {
            serve();
        } catch (RuntimeException e) {
            LOG.log(DEBUG, "{0} ended: {1}", name, e.getMessage());
        } finally {
            if (subscription != null) {
                server.unsubscribe(subscription);
            }
            if (pump != null) {
                pump.interrupt();
                channel.shutdown();
                join(pump);
            }
            channel.close();
            server.disconnected(this);
        }
    }

    boolean answering() {
        return answering;
    }

    /** Wakes this connection's threads so they finish; callable from any thread. */
    void shutdown() {
        channel.shutdown();
    }

    private void serve() {
        while (true) {
            Frame request;
            try {
                request = channel.receive();
            } catch (FrameChannel.Idle e) {
                if (subscription != null) {
                    continue;   // a subscriber listens; it need not speak
                }
                LOG.log(DEBUG, "{0}: silent past the receive time-out, closing", name);
                return;
            } catch (ProtocolException e) {
                LOG.log(DEBUG, "{0}: {1}", name, e.getMessage());
                channel.send(Replies.error(e.requestId(), e.getMessage()), List.of());
                if (!e.streamIntact()) {
                    return;
                }
                continue;
            }
            if (request == null) {
                return;
            }
            if (isAdopt(request)) {
                adopt(request);
                return;
            }
            answering = true;
            try {
                handle(request);
            } finally {
                answering = false;
                // Only adopt takes descriptors; unused ones must not pile up in this process.
                request.fds().forEach(Fd::close);
            }
        }
    }

    private static boolean isAdopt(Frame request) {
        return Op.ADOPT.wireName.equals(request.header().path("op").textValue())
                && request.header().path("v").asInt() == ControlProtocol.VERSION;
    }

    private void adopt(Frame request) {
        // The handover connection waits, silent, for as long as the operator takes between remap and cutover.
        channel.setReceiveTimeout(0);
        try {
            server.handler().adopt(request, channel);
        } catch (RuntimeException e) {
            channel.send(failure(Op.ADOPT, request.header().get("id"), e), List.of());
        }
    }

    private void handle(Frame request) {
        ObjectNode header = request.header();
        JsonNode id = header.get("id");
        ObjectNode reply;
        List<byte[]> payloads = new ArrayList<>();
        Op op = null;
        try {
            op = op(header);
            reply = answer(op, vmField(header), header, id, payloads);
        } catch (RuntimeException e) {
            reply = failure(op, id, e);
            payloads.clear();
        }
        try {
            channel.send(reply, payloads);
        } catch (IllegalArgumentException tooLarge) {
            channel.send(Replies.error(id, tooLarge.getMessage()), List.of());
        } finally {
            if (op == Op.HANDOVER_CUTOVER) {
                server.handler().cutoverReplied();
            }
        }
        if (op == Op.SUBSCRIBE && reply.path("ok").asBoolean()) {
            // Started only now, so the reply reaches the client before any event does.
            pump = new Thread(this::pumpEvents, Thread.currentThread().getName() + "-events");
            pump.setDaemon(true);
            pump.start();
        }
    }

    private ObjectNode answer(Op op, String vm, ObjectNode request, JsonNode id, List<byte[]> payloads) {
        ControlHandler handler = server.handler();
        ObjectNode reply = Replies.ok(id);
        switch (op) {
            case PING -> {
            }
            case INFO -> reply.set("info", Json.MAPPER.valueToTree(handler.info()));
            case PAUSE -> handler.pause(vm);
            case RESUME -> handler.resume(vm);
            case SAVE_STATE -> {
                ArrayNode names = reply.putArray("vms");
                for (VmState state : handler.saveState(vm)) {
                    names.add(state.vmName());
                    payloads.add(StateCodec.encode(state));
                }
            }
            case STOP -> handler.stop(vm);
            case RESET -> handler.reset(vm);
            case SHUTDOWN -> handler.shutdown(vm);
            case HANDOVER_PREPARE -> reply.set("prepare", Json.MAPPER.valueToTree(
                    handler.prepareHandover(prepareRequest(request))));
            case HANDOVER_CUTOVER -> reply.set("cutover", Json.MAPPER.valueToTree(handler.cutover()));
            case HANDOVER_ABORT -> handler.abortHandover();
            case ADOPT -> throw new BadRequest("adopt is only sent by an instance handing its VMs over");
            case SUBSCRIBE -> {
                if (subscription != null) {
                    throw new BadRequest("this connection is already subscribed");
                }
                subscription = new Subscription();
                server.subscribe(subscription);
            }
        }
        return reply;
    }

    private void pumpEvents() {
        try {
            subscription.pump(channel);
        } catch (RuntimeException e) {
            // The client stopped reading or went away; the request thread then sees end of stream and cleans up.
            channel.shutdown();
        }
    }

    private ObjectNode failure(Op op, JsonNode id, RuntimeException e) {
        String message = e.getMessage() != null ? e.getMessage()
                : (op == null ? "request" : op.wireName) + " failed: " + e.getClass().getSimpleName();
        boolean expected = e instanceof BadRequest || e instanceof IllegalArgumentException
                || e instanceof IllegalStateException;
        LOG.log(expected ? DEBUG : WARNING, name + ": " + (op == null ? "request" : op.wireName) + " failed", e);
        return Replies.error(id, message);
    }

    private static Op op(ObjectNode header) {
        JsonNode v = header.get("v");
        if (v == null) {
            throw new BadRequest("the request has no protocol version \"v\"; this hfvisor speaks "
                    + ControlProtocol.VERSION);
        }
        if (!v.isInt() || v.intValue() != ControlProtocol.VERSION) {
            throw new BadRequest("protocol version " + v + " is not supported; this hfvisor speaks "
                    + ControlProtocol.VERSION);
        }
        JsonNode op = header.get("op");
        if (op == null || !op.isTextual()) {
            throw new BadRequest("the request has no \"op\" string; known ops: " + Op.known());
        }
        return Op.of(op.textValue()).orElseThrow(() -> new BadRequest("unknown op \"" + op.textValue()
                + "\"; known ops: " + Op.known()));
    }

    private PrepareRequest prepareRequest(ObjectNode header) {
        JsonNode target = header.get("target");
        if (target == null || !target.isTextual() || !target.textValue().startsWith("/")) {
            throw new BadRequest("handover-prepare needs \"target\": the absolute path of the standby's control"
                    + " socket");
        }
        JsonNode memory = header.get("memory");
        if (memory != null && !memory.isTextual()) {
            throw new BadRequest("\"memory\" must be \"remap\" or \"copy\", not " + memory);
        }
        JsonNode verify = header.get("verify");
        if (verify != null && !verify.isBoolean()) {
            throw new BadRequest("\"verify\" must be true or false, not " + verify);
        }
        MemoryMode mode;
        try {
            mode = memory == null ? MemoryMode.REMAP : MemoryMode.of(memory.textValue());
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
        return new PrepareRequest(java.nio.file.Path.of(target.textValue()), mode,
                verify != null && verify.booleanValue(), channel.peerCredentials().pid());
    }

    private static String vmField(ObjectNode header) {
        JsonNode vm = header.get("vm");
        if (vm == null || vm.isNull()) {
            return null;
        }
        if (!vm.isTextual()) {
            throw new BadRequest("\"vm\" must be a VM name string, not " + vm);
        }
        return vm.textValue();
    }

    private static void join(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
