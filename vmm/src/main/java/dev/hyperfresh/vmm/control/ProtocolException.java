package dev.hyperfresh.vmm.control;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A frame that breaks the protocol. {@code streamIntact} says whether the reader is still at a frame boundary
 * (the bad frame was skipped whole) and may go on; {@code requestId} is the offending frame's id when it was
 * readable, so the error reply can name it.
 */
final class ProtocolException extends RuntimeException {
    private final boolean streamIntact;
    private final JsonNode requestId;

    ProtocolException(String message, boolean streamIntact, JsonNode requestId) {
        super(message);
        this.streamIntact = streamIntact;
        this.requestId = requestId;
    }

    boolean streamIntact() {
        return streamIntact;
    }

    JsonNode requestId() {
        return requestId;
    }
}
