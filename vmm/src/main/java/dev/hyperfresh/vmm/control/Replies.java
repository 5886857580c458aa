package dev.hyperfresh.vmm.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Reply headers: every one carries the protocol version, the request's id when it had a readable one, and ok. */
public final class Replies {
    private Replies() {
    }

    public static ObjectNode ok(JsonNode id) {
        return envelope(id).put("ok", true);
    }

    public static ObjectNode error(JsonNode id, String message) {
        return envelope(id).put("ok", false).put("error", message);
    }

    private static ObjectNode envelope(JsonNode id) {
        ObjectNode reply = Json.object().put("v", ControlProtocol.VERSION);
        if (id != null) {
            reply.set("id", id);
        }
        return reply;
    }
}
