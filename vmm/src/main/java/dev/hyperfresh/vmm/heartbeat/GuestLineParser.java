package dev.hyperfresh.vmm.heartbeat;

import java.util.LinkedHashMap;
import java.util.Map;

/** Decodes hfguest's debug-port text lines; unknown kinds and fields are kept, never rejected. */
public final class GuestLineParser {
    private GuestLineParser() {
    }

    public static GuestLine parse(String line) {
        String text = line.strip();
        String[] words = text.split(" ");
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 1; i < words.length; i++) {
            int eq = words[i].indexOf('=');
            if (eq > 0) {
                fields.put(words[i].substring(0, eq), words[i].substring(eq + 1));
            }
        }
        return new GuestLine(words[0], fields, text);
    }
}
