package dev.hyperfresh.vmm.heartbeat;

import java.util.Map;

/**
 * One line hfguest printed on its debug port (guests/hfguest/HEARTBEAT.md), decoded: the first word names the
 * kind, the rest are {@code key=value} fields.
 */
public record GuestLine(String kind, Map<String, String> fields, String text) {
    public static final String BOOT = "HFGUEST";
    public static final String HEARTBEAT = "HB";
    public static final String ERROR = "ERR";
    public static final String PANIC = "PANIC";
    public static final String DONE = "DONE";

    public long number(String key) {
        String v = fields.get(key);
        if (v == null) {
            throw new IllegalArgumentException("no field " + key + " in: " + text);
        }
        return v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseUnsignedLong(v);
    }

    public boolean is(String k) {
        return kind.equals(k);
    }

    public Heartbeat heartbeat() {
        if (!is(HEARTBEAT)) {
            throw new IllegalStateException("not a heartbeat: " + text);
        }
        return new Heartbeat((int) number("cpu"), number("seq"), number("tsc"), number("ticks"), number("pps"),
                number("merr"), number("cerr"), number("gap"), number("gapmax"), number("back"));
    }
}
