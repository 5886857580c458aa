package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.qemu.QemuInstance;
import dev.hyperfresh.qemu.qmp.QmpClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The backends the old QEMU has now, read once at pre-flight: both what was removed at run time ({@link Unplugged})
 * and what was added ({@link HotPlugged}) are told from them.
 *
 * @param blocks   {@code query-block}: the drives, by their names and the devices using them
 * @param nodes    {@code query-named-block-nodes}: the block nodes
 * @param chardevs character device label → how {@code query-chardev} describes it
 * @param networks {@code info network}'s clients, by name
 * @param objects  the QOM children of /objects, id → type
 */
record OldBackends(JsonNode blocks, JsonNode nodes, Map<String, String> chardevs,
                   Map<String, List<NetClient>> networks, Map<String, String> objects) {
    private static final Pattern NET_CLIENT = Pattern.compile("(?:^|\\s)([^:\\s]+): index=\\d+,type=([\\w-]+),?(.*)$");

    /** A network client as {@code info network} prints it: one per queue. */
    record NetClient(String type, String info) {
    }

    static OldBackends of(QemuInstance source) {
        QmpClient qmp = source.qmp();
        Map<String, String> chardevs = new HashMap<>();
        qmp.execute("query-chardev").forEach(c -> chardevs.put(c.path("label").asText(), c.path("filename").asText()));
        return new OldBackends(qmp.execute("query-block"), qmp.execute("query-named-block-nodes", Map.of("flat", true)),
                chardevs, netClients(qmp), source.children("/objects"));
    }

    /** {@code info network}'s clients (QMP has no query for them in QEMU 7.2), by name. */
    private static Map<String, List<NetClient>> netClients(QmpClient qmp) {
        Map<String, List<NetClient>> clients = new HashMap<>();
        String said = qmp.execute(HotPlugged.HMP, Map.of("command-line", "info network")).asText();
        for (String line : said.split("\r?\n")) {
            Matcher m = NET_CLIENT.matcher(line);
            if (m.find()) {
                clients.computeIfAbsent(m.group(1), n -> new ArrayList<>()).add(new NetClient(m.group(2), m.group(3)));
            }
        }
        return clients;
    }
}
