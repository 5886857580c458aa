package dev.hyperfresh.vmm.control;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a handover moves guest RAM: {@code remap} passes the memfd and nothing is copied; {@code copy} is pre-copy
 * live migration (dirty logging, iterative rounds, a final stop-and-copy), for when memory cannot be shared and
 * as the baseline remap is measured against.
 */
public enum MemoryMode {
    REMAP,
    COPY;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The mode named {@code wireName}; throws with the known names otherwise. */
    @JsonCreator
    public static MemoryMode of(String wireName) {
        return Arrays.stream(values()).filter(m -> m.wireName().equals(wireName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("\"memory\" is " + known() + ", not \"" + wireName
                        + "\""));
    }

    private static String known() {
        return Arrays.stream(values()).map(m -> "\"" + m.wireName() + "\"").collect(Collectors.joining(" or "));
    }
}
