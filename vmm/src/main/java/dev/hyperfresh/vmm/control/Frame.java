package dev.hyperfresh.vmm.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.sys.Fd;
import java.util.List;

/**
 * One protocol frame: its JSON header, its binary payloads in the order the header's {@code "payloads"} lists
 * them, and the file descriptors that came with it, which the receiver owns and must close.
 */
public record Frame(ObjectNode header, List<byte[]> payloads, List<Fd> fds) {
    public Frame {
        payloads = List.copyOf(payloads);
        fds = List.copyOf(fds);
    }

    public boolean ok() {
        return header.path("ok").asBoolean(false);
    }

    /** The error sentence of a failed reply, or null. */
    public String error() {
        return header.hasNonNull("error") ? header.get("error").asText() : null;
    }
}
