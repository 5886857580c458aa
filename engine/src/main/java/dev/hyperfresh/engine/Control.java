package dev.hyperfresh.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.vmm.control.ControlClient;
import dev.hyperfresh.vmm.control.ControlException;
import dev.hyperfresh.vmm.control.Json;
import java.nio.file.Path;

/** One request per connection to an instance's control socket. */
final class Control {
    private Control() {
    }

    /** The instance at {@code socket}; throws when nothing answers there. */
    static Instance query(Path socket) {
        try (ControlClient client = ControlClient.connect(socket)) {
            return Instance.answering(socket, client.info());
        }
    }

    /** Sends {@code op} with {@code fields} (may be null) and returns the successful reply's header. */
    static JsonNode request(Path socket, String op, ObjectNode fields) {
        ObjectNode header = fields == null ? Json.MAPPER.createObjectNode() : fields.deepCopy();
        header.put("op", op);
        try (ControlClient client = ControlClient.connect(socket)) {
            return client.request(header).header();
        }
    }

    static <T> T field(JsonNode reply, String name, Class<T> type) {
        JsonNode node = reply.get(name);
        if (node == null || node.isNull()) {
            throw new ControlException("hfvisor's reply lacks the field \"" + name + "\"");
        }
        try {
            return Json.MAPPER.treeToValue(node, type);
        } catch (JsonProcessingException e) {
            throw new ControlException("hfvisor's \"" + name + "\" reply is malformed: " + e.getOriginalMessage());
        }
    }
}
