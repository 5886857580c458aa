package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperfresh.sys.Spawn;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the new QEMU is handed from the old one instead of opening it again, which it could not while the old one
 * runs: its taps and the sockets its character devices listen on (found by {@link OpenFiles}). Rewrites the options
 * that open them to name descriptors, and collects the old QEMU's descriptors in the order the new one gets them
 * (fd 3, 4, ..., {@link Spawn}) and what the handover changes for the operator.
 */
final class FileHandover {
    /** How -netdev, -nic and -net open a tap, all of which QEMU refuses beside fd=/fds=. */
    private static final Set<String> TAP_OPENING = Set.of("fd", "fds", "ifname", "script", "downscript", "vnet_hdr",
            "helper", "queues");
    /** Where a character device listening on TCP binds, which a handed socket replaces. */
    private static final Set<String> TCP_ADDRESS = Set.of("host", "port", "to", "ipv4", "ipv6", "numeric");
    private static final String NUMBER = "\\d+";
    private static final Set<String> NETWORK_OPTIONS = Set.of("netdev", "nic", "net");

    private final OpenFiles oldFiles;
    /** The tap a bridge helper opened, when that is certain: the one network opened so, the one tap left unnamed. */
    private final Optional<String> helperTap;
    private final List<Integer> fds = new ArrayList<>();
    private final List<String> descriptions = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    /**
     * What was handed over: the old QEMU's descriptors in the order the new one gets them, each said in words, and
     * what the handover changes for the operator.
     */
    record Handed(List<Integer> oldFds, List<String> descriptions, List<String> warnings) {
        Handed {
            oldFds = List.copyOf(oldFds);
            descriptions = List.copyOf(descriptions);
            warnings = List.copyOf(warnings);
        }
    }

    /** @param laterTaps the tap networks added at run time, as -netdev would write them */
    FileHandover(OpenFiles oldFiles, QemuArgs running, List<ObjectNode> laterTaps) {
        this.oldFiles = oldFiles;
        Set<String> unnamed = new HashSet<>(oldFiles.tapNames());
        int helpers = 0;
        List<ObjectNode> networks = new ArrayList<>(laterTaps);
        for (QemuArgs.Option option : running.options()) {
            if (NETWORK_OPTIONS.contains(option.name())) {
                networks.add(QemuOpts.read(option.value(), "type"));
            }
        }
        for (ObjectNode o : networks) {
            unnamed.remove(o.path("ifname").asText());
            named(o).ifPresent(fds -> unnamed.removeIf(tap -> fds.stream().anyMatch(oldFiles.taps(tap)::contains)));
            helpers += throughHelper(o) ? 1 : 0;
        }
        this.helperTap = helpers == 1 && unnamed.size() == 1 ? Optional.of(unnamed.iterator().next())
                : Optional.empty();
    }

    Handed handed() {
        return new Handed(fds, descriptions, warnings);
    }

    /**
     * {@code -netdev}, {@code -nic} or {@code -net}: a tap on the old QEMU's own descriptors, those its command
     * line names ({@code fd=}, {@code fds=}), those attached to its {@code ifname}, or, for the one network a bridge
     * helper opened ({@code bridge}, {@code tap,helper=}), the one tap no other network names. A tap on descriptors
     * named as monitor fds, or that the old QEMU does not hold (or not certainly), is left as written.
     */
    String network(String option, String value) {
        ObjectNode o = QemuOpts.read(value, "type");
        boolean helper = throughHelper(o);
        if (!o.path("type").asText().equals("tap") && !helper) {
            return value;
        }
        List<Integer> tap;
        if (helper) {
            tap = helperTap.map(oldFiles::taps).orElse(List.of());
        } else if (o.has("fd") || o.has("fds")) {
            Optional<List<Integer>> named = named(o);
            if (named.isEmpty()) {
                return value;
            }
            tap = named.get();
        } else {
            tap = oldFiles.taps(o.path("ifname").asText());
        }
        if (tap.isEmpty()) {
            return value;
        }
        String what = helper ? "the tap " + helperTap.get() + " of -" + option + " " + value
                : o.has("ifname") ? "the tap " + o.get("ifname").asText() : "the tap of -" + option + " " + value;
        o.remove(TAP_OPENING);
        o.remove("br");
        o.put("type", "tap");
        String numbers = tap.stream().map(fd -> Integer.toString(pass(fd, what))).collect(Collectors.joining(":"));
        o.put(tap.size() == 1 ? "fd" : "fds", numbers);
        return QemuOpts.write(o, "type", value);
    }

    /** The descriptors a tap's {@code fd=} or {@code fds=} names by number; empty if none (or names, not numbers). */
    private static Optional<List<Integer>> named(ObjectNode network) {
        String named = network.has("fd") ? network.get("fd").asText() : network.path("fds").asText();
        return named.matches(NUMBER + "(:" + NUMBER + ")*")
                ? Optional.of(Stream.of(named.split(":")).map(Integer::valueOf).toList()) : Optional.empty();
    }

    private static boolean throughHelper(ObjectNode network) {
        String type = network.path("type").asText();
        return type.equals("bridge") || type.equals("tap") && network.has("helper");
    }

    /**
     * Gives the listening socket character device {@code chardev} the old QEMU's socket: the one its {@code fd=}
     * names (as after an earlier replacement), else the one listening on TCP {@code port}; false when there is none
     * to give (then it is left as written).
     *
     * @param option the option as written, for a warning
     */
    boolean listener(ObjectNode chardev, String port, String option) {
        String named = chardev.path("fd").asText();
        Optional<Integer> fd = named.matches(NUMBER) ? Optional.of(Integer.valueOf(named))
                : port.matches(NUMBER) ? listening(Integer.parseInt(port), option) : Optional.empty();
        if (fd.isEmpty()) {
            return false;
        }
        chardev.remove(TCP_ADDRESS);
        chardev.put("fd", Integer.toString(pass(fd.get(), "the socket " + option + " listens on")));
        QemuOpts.serveWithoutWaiting(chardev);
        return true;
    }

    /**
     * {@code tcp:[HOST]:PORT[,server=on,...]} or {@code telnet:...} of -serial, -monitor, -qmp, -gdb, ...: as a
     * socket character device on the old QEMU's listening socket, when it listens; else unchanged.
     */
    List<String> legacyTcp(String name, String value) {
        ObjectNode o = QemuOpts.parse(value.substring(value.indexOf(':') + 1), "address");
        String address = o.remove("address").asText();
        boolean server = QemuOpts.isOn(o, "server") || name.equals("gdb");   // -gdb always listens
        ObjectNode chardev = QemuOpts.parse("socket", "backend");
        chardev.put("id", "hf-" + name + fds.size());
        chardev.setAll(o);
        if (!server || !listener(chardev, address.substring(address.lastIndexOf(':') + 1), "-" + name + " " + value)) {
            return List.of("-" + name, value);
        }
        chardev.put("server", "on");
        if (value.startsWith("telnet:")) {
            chardev.put("telnet", "on");
        }
        return List.of("-chardev", QemuOpts.format(chardev, "backend"), "-" + name,
                "chardev:" + chardev.get("id").asText());
    }

    /**
     * The old QEMU's socket listening on {@code port}. An address without a host ({@code tcp::1234}) has QEMU listen
     * on IPv4 and IPv6 apart, and a character device takes one socket: the IPv4 one is handed over, and a warning says
     * the IPv6 one is gone.
     */
    private Optional<Integer> listening(int port, String option) {
        List<OpenFiles.Listener> all = oldFiles.tcpListeners(port);
        List<OpenFiles.Listener> ipv4 = all.stream().filter(l -> !l.ipv6()).toList();
        if (all.size() == 1) {
            return Optional.of(all.get(0).fd());
        }
        if (all.size() == 2 && ipv4.size() == 1) {
            warnings.add(option + " listened on IPv4 and IPv6; the new QEMU keeps the IPv4 socket only (a character"
                    + " device takes one): clients reach port " + port + " over IPv4 (127.0.0.1), not over IPv6 (::1)");
            return Optional.of(ipv4.get(0).fd());
        }
        return Optional.empty();
    }

    /** The number the new QEMU gets the old one's {@code oldFd} at. */
    private int pass(int oldFd, String what) {
        fds.add(oldFd);
        int given = Spawn.FIRST_PASSED_FD + fds.size() - 1;
        descriptions.add(what + ": the old QEMU's fd " + oldFd + ", the new one's fd " + given);
        return given;
    }
}
