package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.qmp.QmpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The host forwards of the old QEMU's user-mode networks ({@code hostfwd=}, {@code hostfwd_add}), which bind host
 * ports the new QEMU cannot bind while the old one runs: the new QEMU starts without them and adds them once the old
 * one has gone ({@link #addAgain}; HMP's {@code hostfwd_add}, QMP has no command for it), as a VNC display's port is
 * taken back. Read from the old QEMU itself ({@code info usernet}), not from its command line: forwards added or
 * removed at run time count, and a QEMU that a replacement started has none on its command line. Connections
 * forwarded through the old QEMU end with it: user-mode networking keeps them in that process.
 *
 * @param rules per user-mode network, in the order QEMU created them, its forwards as {@code hostfwd=} writes them
 */
record HostForwards(List<List<String>> rules) {
    private static final Pattern NETWORK = Pattern.compile("^Hub -?\\d+ \\((.*)\\):$");
    private static final Pattern FORWARD = Pattern.compile(
            "^\\s*(TCP|UDP)\\[HOST_FORWARD]\\s+-?\\d+\\s+(\\S+)\\s+(\\d+)\\s+(\\S+)\\s+(\\d+)\\s+\\d+\\s+\\d+\\s*$");
    private static final Pattern USER_NETWORK = Pattern.compile("^(type=)?user$");

    HostForwards {
        rules = rules.stream().map(List::copyOf).toList();
    }

    static HostForwards none() {
        return new HostForwards(List.of());
    }

    static HostForwards of(QmpClient qemu) {
        return parse(usernet(qemu));
    }

    /** From what {@code info usernet} prints. */
    static HostForwards parse(String usernet) {
        List<List<String>> rules = new ArrayList<>();
        for (String line : usernet.split("\r?\n")) {
            Matcher forward = FORWARD.matcher(line);
            if (NETWORK.matcher(line).matches()) {
                rules.add(new ArrayList<>());
            } else if (forward.matches() && !rules.isEmpty()) {
                String host = forward.group(2).equals("*") ? "" : forward.group(2);
                rules.get(rules.size() - 1).add(forward.group(1).toLowerCase() + ":" + host + ":" + forward.group(3)
                        + "-" + forward.group(4) + ":" + forward.group(5));
            }
        }
        return new HostForwards(rules);
    }

    boolean isEmpty() {
        return rules.stream().allMatch(List::isEmpty);
    }

    /**
     * {@code value} of -netdev, -nic or -net without its forwards when it is a user-mode network (QEMU repeats the
     * key once per forward); others as they are.
     */
    static String withoutForwards(String value) {
        List<String> parts = QemuOpts.split(value);
        if (QemuOpts.isJson(value) || parts.stream().noneMatch(p -> USER_NETWORK.matcher(p).matches())) {
            return value;
        }
        return parts.stream().filter(p -> !p.startsWith("hostfwd=")).map(QemuOpts::escape)
                .collect(Collectors.joining(","));
    }

    /**
     * Adds the forwards to the new QEMU, whose user-mode networks are the old one's in the same order (their
     * names, generated for {@code -nic}, may differ), once the old QEMU has gone and its ports are free.
     */
    void addAgain(QmpClient newQemu) {
        List<String> names = userNetworks(newQemu);
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            for (String rule : rules.get(i)) {
                String said = i < names.size() ? hmp(newQemu, "hostfwd_add " + names.get(i) + " " + rule).strip()
                        : "it has no user-mode network " + (i + 1);
                if (!said.isEmpty()) {
                    failed.add(rule + " (" + said + ")");
                }
            }
        }
        if (!failed.isEmpty()) {
            throw new IllegalStateException("the new QEMU runs the VM, but could not forward the host ports of "
                    + failed + " again");
        }
    }

    /** The names of {@code qemu}'s user-mode networks, in the order it made them. */
    static List<String> userNetworks(QmpClient qemu) {
        List<String> names = new ArrayList<>();
        for (String line : usernet(qemu).split("\r?\n")) {
            Matcher network = NETWORK.matcher(line);
            if (network.matches()) {
                names.add(network.group(1));
            }
        }
        return names;
    }

    private static String usernet(QmpClient qemu) {
        return hmp(qemu, "info usernet");
    }

    private static String hmp(QmpClient qemu, String command) {
        return qemu.execute("human-monitor-command", Map.of("command-line", command)).asText();
    }
}
