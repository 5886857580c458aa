package dev.hyperfresh.vmm.control;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.vmm.heartbeat.GuestLine;
import dev.hyperfresh.vmm.heartbeat.Heartbeat;
import java.util.List;

/**
 * Something a VM did, pushed to {@code subscribe}d clients. On the wire the header is
 * {@code {"v":1,"op":"event","vm":..,"kind":..}} plus {@code fields}; {@code vm} is null for instance-wide events.
 * {@code fields} must not be changed once published: subscribers serialise it on their own threads.
 */
public record Event(String vm, String kind, ObjectNode fields) {
    public static final String HEARTBEAT = "heartbeat";
    public static final String CONSOLE = "console";
    public static final String GUEST_LINE = "guest-line";
    public static final String STATE = "state";
    public static final String HANDOVER = "handover";
    /** Sent in place of events a slow subscriber's full queue could not take: {@code "count"} of them. */
    public static final String DROPPED = "dropped";
    static final String OP = "event";
    private static final List<String> ENVELOPE = List.of("v", "op", "id", "vm", "kind", "payloads");

    public static Event heartbeat(String vm, Heartbeat heartbeat) {
        return new Event(vm, HEARTBEAT, Json.MAPPER.valueToTree(heartbeat));
    }

    /**
     * A heartbeat with the rate of the guest's TSC ({@code tscKhz}: the VM's KVM_GET_TSC_KHZ), so a subscriber can
     * turn its cycle counts into time without having seen the guest boot.
     */
    public static Event heartbeat(String vm, Heartbeat heartbeat, int tscKhz) {
        Event e = heartbeat(vm, heartbeat);
        e.fields().put("tscKhz", tscKhz);
        return e;
    }

    public static Event console(String vm, String text) {
        return new Event(vm, CONSOLE, Json.object().put("text", text));
    }

    public static Event guestLine(String vm, GuestLine line) {
        ObjectNode fields = Json.object().put("type", line.kind()).put("text", line.text());
        fields.set("fields", Json.MAPPER.valueToTree(line.fields()));
        return new Event(vm, GUEST_LINE, fields);
    }

    /** Progress of a handover step, for a UI's live status line. */
    public static Event handover(String phase, int percent, long bytes, long elapsedMicros) {
        return new Event(null, HANDOVER, Json.object().put("phase", phase).put("percent", percent)
                .put("bytes", bytes).put("elapsedUs", elapsedMicros));
    }

    public static Event state(String vm, String state) {
        return new Event(vm, STATE, Json.object().put("state", state));
    }

    static Event dropped(long count) {
        return new Event(null, DROPPED, Json.object().put("count", count));
    }

    ObjectNode toHeader() {
        ObjectNode h = fields.deepCopy();
        h.put("v", ControlProtocol.VERSION).put("op", OP).put("vm", vm).put("kind", kind);
        return h;
    }

    static Event fromHeader(ObjectNode header) {
        ObjectNode fields = header.deepCopy();
        fields.remove(ENVELOPE);
        return new Event(header.path("vm").textValue(), header.path("kind").asText(), fields);
    }
}
