package dev.hyperfresh.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.qemu.qmp.QmpClient;
import dev.hyperfresh.qemu.qmp.QmpError;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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
     * vCPU's CPUID flags). One {@code qom-get} each (QEMU 7.2 has no {@code qom-list-get}), all sent before the
     * first answer is awaited: a vCPU's ~400 flags cost one wait, not ~400.
     */
    public static Map<String, Boolean> booleans(QmpClient qmp, String path, Predicate<String> wanted) {
        Map<String, CompletableFuture<JsonNode>> asked = new LinkedHashMap<>();
        for (JsonNode p : qmp.execute("qom-list", Map.of("path", path))) {
            String name = p.path("name").asText();
            if (p.path("type").asText().equals("bool") && wanted.test(name)) {
                asked.put(name, qmp.submit("qom-get", Map.of("path", path, "property", name)));
            }
        }
        Map<String, Boolean> values = new LinkedHashMap<>();
        asked.forEach((name, answer) -> {
            try {
                values.put(name, qmp.await(answer, "qom-get " + name).asBoolean());
            } catch (QmpError unreadable) {
                // listed, yet not readable: as if it were not there
            }
        });
        return values;
    }

    /** The QOM path of the first vCPU: each vCPU of a QEMU is the same model. */
    public static String firstCpu(QmpClient qmp) {
        return qmp.execute("query-cpus-fast").path(0).path("qom-path").asText();
    }
}
