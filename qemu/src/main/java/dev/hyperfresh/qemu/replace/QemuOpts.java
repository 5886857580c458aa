package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * QEMU's {@code key=value,key=value} option syntax ({@code ,,} is a literal comma; a leading bare word is the
 * value of an implied key such as {@code qom-type} or {@code backend}; a later bare word is a flag: {@code server}
 * is server=on, {@code nowait} wait=off, as QEMU reads them), read into a JSON object so that it and the JSON form
 * of {@code -object} and {@code -netdev} are edited the same way ({@link #read}, {@link #write}).
 */
final class QemuOpts {
    private static final ObjectMapper JSON = new ObjectMapper();

    private QemuOpts() {
    }

    /** {@code value} as written: the JSON form ({@code -object {...}}, {@code -netdev {...}}) or key=value. */
    static ObjectNode read(String value, String impliedKey) {
        if (!isJson(value)) {
            return parse(value, impliedKey);
        }
        try {
            if (JSON.readTree(value) instanceof ObjectNode o) {
                return o;
            }
        } catch (JsonProcessingException e) {
            // reported below with the offending text
        }
        throw new IllegalArgumentException("cannot read the QEMU option " + value);
    }

    /** {@code opts} written back in the form {@code asWritten} was in. */
    static String write(ObjectNode opts, String impliedKey, String asWritten) {
        return isJson(asWritten) ? opts.toString() : format(opts, impliedKey);
    }

    static boolean isJson(String value) {
        return value.startsWith("{");
    }

    static ObjectNode parse(String text, String impliedKey) {
        ObjectNode opts = JsonNodeFactory.instance.objectNode();
        List<String> parts = split(text);
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i);
            int eq = part.indexOf('=');
            if (eq >= 0) {
                opts.put(part.substring(0, eq), part.substring(eq + 1));
            } else if (i == 0 && impliedKey != null) {
                opts.put(impliedKey, part);
            } else if (part.startsWith("no")) {
                opts.put(part.substring(2), "off");
            } else {
                opts.put(part, "on");
            }
        }
        return opts;
    }

    /** Whether the flag {@code key} is set ({@code on}, {@code yes} or {@code true}, as QEMU reads a bool). */
    static boolean isOn(ObjectNode opts, String key) {
        String v = opts.path(key).asText("off");
        return v.equals("on") || v.equals("yes") || v.equals("true");
    }

    /**
     * A listening character device of a new QEMU serves without waiting for a client first ({@code wait=on}, QEMU's
     * default for a server, would hold its start until one connects): its VM runs already, and the client is the
     * old QEMU's until that one has gone.
     */
    static void serveWithoutWaiting(ObjectNode chardev) {
        chardev.put("wait", "off");
    }

    static String format(ObjectNode opts, String impliedKey) {
        StringBuilder out = new StringBuilder();
        if (impliedKey != null && opts.has(impliedKey)) {
            out.append(escape(opts.get(impliedKey).asText()));
        }
        for (Map.Entry<String, JsonNode> e : opts.properties()) {
            if (e.getKey().equals(impliedKey)) {
                continue;
            }
            if (out.length() > 0) {
                out.append(',');
            }
            out.append(e.getKey()).append('=').append(escape(e.getValue().asText()));
        }
        return out.toString();
    }

    /** The comma-separated parts, commas within them unescaped. */
    static List<String> split(String text) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ',' && i + 1 < text.length() && text.charAt(i + 1) == ',') {
                current.append(',');
                i++;
            } else if (c == ',') {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        parts.add(current.toString());
        return parts;
    }

    /** A part written back: its commas doubled. */
    static String escape(String value) {
        return value.replace(",", ",,");
    }
}
