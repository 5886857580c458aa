package dev.hyperfresh.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.qemu.qmp.QmpError;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * What a QEMU built, read from its object model (QOM) over QMP: devices, backends and vCPU models as QEMU holds them,
 * never the guest's registers (reading those through QOM is harmful).
 */
public final class Qom {
    private Qom() {
    }

    /** {@code property} of the object at {@code path}; empty where the object has no such property. */
    public static Optional<JsonNode> get(QmpClient qmp, String path, String property) {
        try {
            return Optional.of(qmp.execute("qom-get", Map.of("path", path, "property", property)));
        } catch (QmpError unreadable) {
            return Optional.empty();
        }
    }

    /**
     * The boolean properties of the object at {@code path} whose names {@code wanted} accepts, as it has them (a
     * vCPU's CPUID flags): one {@code qom-get} each, so ask only for those that matter.
     */
    public static Map<String, Boolean> booleans(QmpClient qmp, String path, Predicate<String> wanted) {
        Map<String, Boolean> values = new LinkedHashMap<>();
        for (JsonNode p : qmp.execute("qom-list", Map.of("path", path))) {
            String name = p.path("name").asText();
            if (p.path("type").asText().equals("bool") && wanted.test(name)) {
                get(qmp, path, name).ifPresent(v -> values.put(name, v.asBoolean()));
            }
        }
        return values;
    }

    /** The QOM path of the first vCPU: each vCPU of a QEMU is the same model. */
    public static String firstCpu(QmpClient qmp) {
        return qmp.execute("query-cpus-fast").path(0).path("qom-path").asText();
    }
}
