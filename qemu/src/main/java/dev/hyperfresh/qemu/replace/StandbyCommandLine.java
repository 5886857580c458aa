package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.hyperfresh.qemu.MemoryBackend;
import dev.hyperfresh.sys.Spawn;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The command line of the QEMU that replaces a running one, derived from the running one's: the new binary;
 * waiting for an incoming migration ({@code -incoming defer}), and paused ({@code -S}) unless
 * {@link #runningOnceLoaded}; guest RAM backends rewritten for the
 * mode; listening sockets moved aside until the old QEMU has gone; file outputs appended, not truncated (the VM's
 * log continues); no -daemonize (we start it detached ourselves) and no -pidfile (the old QEMU holds its lock; the
 * file is rewritten after the cutover, and noted for the next replacement, {@link StandbyFiles#notedPidfile}). It
 * runs in the old QEMU's working directory ({@code directory}, where known), so that relative paths on its command
 * line (a disk image, a kernel) name the same files; the paths this side renames or rewrites (sockets, the pid
 * file) are resolved there too. A VNC display on TCP listens on a unix socket until the old QEMU has gone
 * ({@link VncListener}). What the old QEMU holds and the new one could not open again — a tap device, a TCP port a
 * character device listens on — is handed over instead: the new QEMU gets the old one's descriptors
 * ({@code passedFds}, duplicated from it) at fd 3, 4, ... and its command line names them by number.
 */
public record StandbyCommandLine(List<String> argv, Path qmpSocket, List<SocketMove> socketMoves,
                                 Optional<Path> pidfile, Optional<Path> directory, Optional<VncListener> vnc,
                                 List<Integer> passedFds) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> LEGACY_CHARDEV_OPTIONS = Set.of("serial", "parallel", "debugcon", "monitor",
            "qmp", "qmp-pretty");
    /** Properties that do not carry over to a backend that maps memory already in use. */
    private static final Set<String> DROPPED_FOR_SHARED = Set.of("mem-path", "prealloc", "prealloc-threads",
            "prealloc-context", "hugetlb", "hugetlbsize", "seal", "share");
    private static final Set<String> DROPPED_FOR_COPY = Set.of("mem-path", "align", "pmem", "discard-data",
            "readonly", "share");

    /** How -netdev, -nic and -net name a tap's descriptors, and what QEMU refuses beside them. */
    private static final Set<String> TAP_OPENING = Set.of("fd", "fds", "ifname", "script", "downscript", "vnet_hdr",
            "helper", "queues");
    private static final Set<String> NETWORK_OPTIONS = Set.of("netdev", "nic", "net");
    /** Where a character device listening on TCP is bound, which a passed socket replaces. */
    private static final Set<String> TCP_ADDRESS = Set.of("host", "port", "to", "ipv4", "ipv6", "numeric");

    public StandbyCommandLine {
        argv = List.copyOf(argv);
        socketMoves = List.copyOf(socketMoves);
        passedFds = List.copyOf(passedFds);
    }

    /**
     * @param sharedMemPaths for SHARED mode, backend id → a path the new QEMU opens to map that backend's memory
     *                       (empty for COPY)
     * @param attachedQmp    the QMP socket we drive the old QEMU through: the standby's QMP takes its place
     * @param vncAddresses   the TCP addresses the old QEMU's default VNC display listens on
     * @param notedPidfile   the pid file an earlier replacement wrote for the old QEMU (its command line has none)
     * @param oldFiles       the old QEMU's taps and TCP listeners
     */
    static StandbyCommandLine derive(QemuArgs running, long oldPid, Path newBinary, ReplacementMode mode,
                                     Map<String, Path> sharedMemPaths, Path attachedQmp,
                                     List<VncListener.Address> vncAddresses, Optional<Path> notedPidfile,
                                     OpenFiles oldFiles) {
        List<String> argv = new ArrayList<>(List.of(newBinary.toString()));
        List<SocketMove> moves = new ArrayList<>();
        List<Integer> passed = new ArrayList<>();
        Path pidfile = notedPidfile.orElse(null);
        VncListener vnc = null;
        boolean oneVnc = running.options().stream().filter(o -> o.name().equals("vnc")).count() == 1;
        int fileChardevs = 0;
        for (QemuArgs.Option o : running.options()) {
            String name = o.name();
            String value = o.value();
            switch (name) {
                case "S", "daemonize", "incoming" -> {
                    // re-added below as this standby needs them, or dropped
                }
                case "pidfile" -> pidfile = running.resolve(value);
                case "object" -> argv.addAll(List.of("-object", object(value, mode, sharedMemPaths)));
                case "chardev" -> argv.addAll(List.of("-chardev", chardev(value, running, moves, oldPid, oldFiles,
                        passed)));
                case "netdev", "nic", "net" -> argv.addAll(List.of("-" + name, tap(value, oldFiles, passed)));
                case "vnc" -> {
                    Path standbyPath = attachedQmp.resolveSibling(attachedQmp.getFileName() + ".vnc.next-" + oldPid);
                    Optional<String> onUnix = oneVnc && !vncAddresses.isEmpty()
                            ? VncListener.standbyOption(value, standbyPath) : Optional.empty();
                    argv.addAll(List.of("-vnc", onUnix.orElse(value)));
                    if (onUnix.isPresent()) {
                        vnc = new VncListener(standbyPath, vncAddresses);
                    }
                }
                default -> {
                    if (LEGACY_CHARDEV_OPTIONS.contains(name) && value.startsWith("file:")) {
                        String id = "hf-file" + fileChardevs++;
                        argv.addAll(List.of("-chardev", "file,id=" + id + ",path=" + value.substring(5).replace(",", ",,")
                                + ",append=on", "-" + name, "chardev:" + id));
                    } else if (LEGACY_CHARDEV_OPTIONS.contains(name) && value.startsWith("unix:")) {
                        argv.addAll(List.of("-" + name, legacyUnix(value, running, moves, oldPid)));
                    } else if ((LEGACY_CHARDEV_OPTIONS.contains(name) || name.equals("gdb"))
                            && (value.startsWith("tcp:") || value.startsWith("telnet:"))) {
                        argv.addAll(legacyTcp(name, value, oldFiles, passed));
                    } else {
                        argv.addAll(o.words());
                    }
                }
            }
        }
        SocketMove qmp = moves.stream().filter(m -> m.path().equals(attachedQmp)).findFirst().orElse(null);
        if (qmp == null) {
            qmp = SocketMove.of(attachedQmp, oldPid);
            moves.add(qmp);
            argv.addAll(List.of("-qmp", "unix:" + qmp.standbyPath() + ",server=on,wait=off"));
        }
        argv.addAll(List.of("-S", "-incoming", "defer"));
        return new StandbyCommandLine(argv, qmp.standbyPath(), moves, Optional.ofNullable(pidfile),
                Optional.ofNullable(running.directory()), Optional.ofNullable(vnc), passed);
    }

    /**
     * The same command line without {@code -S}: QEMU then runs the guest by itself as soon as its load ends (a
     * {@link StreamHold} keeps it from ending before the commit point; the benchmark's reference for QEMU's own
     * switch has none).
     */
    StandbyCommandLine runningOnceLoaded() {
        List<String> unpaused = new ArrayList<>(argv);
        unpaused.remove(unpaused.lastIndexOf("-S"));
        return new StandbyCommandLine(unpaused, qmpSocket, socketMoves, pidfile, directory, vnc, passedFds);
    }

    private static String object(String value, ReplacementMode mode, Map<String, Path> sharedMemPaths) {
        boolean json = value.startsWith("{");
        ObjectNode o = json ? parseJson(value) : QemuOpts.parse(value, "qom-type");
        String type = o.path("qom-type").asText();
        String id = o.path("id").asText();
        boolean shared = o.has("share") && (json ? o.get("share").asBoolean() : o.get("share").asText().equals("on"));
        if (mode == ReplacementMode.SHARED && sharedMemPaths.containsKey(id)) {
            o.remove(DROPPED_FOR_SHARED);
            o.put("qom-type", MemoryBackend.FILE);
            o.set("share", json ? BooleanNode.TRUE : TextNode.valueOf("on"));
            o.put("mem-path", sharedMemPaths.get(id).toString());
        } else if (mode == ReplacementMode.COPY && type.equals(MemoryBackend.FILE) && shared) {
            // a shared file would be the source's own memory: a copy must land in fresh RAM
            o.remove(DROPPED_FOR_COPY);
            o.put("qom-type", MemoryBackend.MEMFD);
            o.set("share", json ? BooleanNode.TRUE : TextNode.valueOf("on"));
        } else {
            return value;
        }
        return json ? o.toString() : QemuOpts.format(o, "qom-type");
    }

    private static String chardev(String value, QemuArgs running, List<SocketMove> moves, long oldPid,
                                  OpenFiles oldFiles, List<Integer> passed) {
        ObjectNode o = QemuOpts.parse(value, "backend");
        String backend = o.path("backend").asText();
        boolean server = isOn(o.path("server").asText("off"));
        if (backend.equals("file")) {
            o.put("append", "on");
        } else if (backend.equals("socket") && o.has("path") && server) {
            SocketMove move = SocketMove.of(running.resolve(o.get("path").asText()), oldPid);
            moves.add(move);
            o.put("path", move.standbyPath().toString());
        } else if (!(backend.equals("socket") && server && passListener(o, o.path("port").asText(), oldFiles, passed))) {
            return value;
        }
        return QemuOpts.format(o, "backend");
    }

    /**
     * {@code tcp:[HOST]:PORT[,server=on,...]} or {@code telnet:...} of -serial, -monitor, -gdb, ...: as a socket
     * character device on the old QEMU's listening socket, when it listens; else unchanged.
     */
    private static List<String> legacyTcp(String name, String value, OpenFiles oldFiles, List<Integer> passed) {
        boolean telnet = value.startsWith("telnet:");
        ObjectNode o = QemuOpts.parse(value.substring(value.indexOf(':') + 1), "address");
        String address = o.remove("address").asText();
        boolean server = isOn(o.path("server").asText("off")) || name.equals("gdb");   // -gdb always listens
        ObjectNode chardev = QemuOpts.parse("socket", "backend");
        chardev.put("id", "hf-" + name + passed.size());
        chardev.setAll(o);
        if (!server || !passListener(chardev, address.substring(address.lastIndexOf(':') + 1), oldFiles, passed)) {
            return List.of("-" + name, value);
        }
        chardev.put("server", "on");
        if (name.equals("gdb")) {
            chardev.put("wait", "off");
        }
        if (telnet) {
            chardev.put("telnet", "on");
        }
        return List.of("-chardev", QemuOpts.format(chardev, "backend"), "-" + name,
                "chardev:" + chardev.get("id").asText());
    }

    /**
     * Gives the listening socket character device {@code o} the old QEMU's socket: the one its {@code fd=} names (as
     * after an earlier replacement), else the one listening on TCP {@code port}, if there is one.
     */
    private static boolean passListener(ObjectNode o, String port, OpenFiles oldFiles, List<Integer> passed) {
        String named = o.path("fd").asText();
        OptionalInt fd = named.matches("\\d+") ? OptionalInt.of(Integer.parseInt(named))
                : port.matches("\\d+") ? oldFiles.tcpListener(Integer.parseInt(port)) : OptionalInt.empty();
        if (fd.isEmpty()) {
            return false;
        }
        o.remove(TCP_ADDRESS);
        o.put("fd", Integer.toString(pass(fd.getAsInt(), passed)));
        return true;
    }

    /**
     * A tap netdev ({@code -netdev}, {@code -nic} or {@code -net} of type tap) on the old QEMU's own descriptors:
     * those its command line names ({@code fd=}, {@code fds=}) or those attached to its {@code ifname}. A tap
     * opened through a helper, or on descriptors named as monitor fds, is left as it is.
     */
    private static String tap(String value, OpenFiles oldFiles, List<Integer> passed) {
        boolean json = value.startsWith("{");
        ObjectNode o = json ? parseJson(value) : QemuOpts.parse(value, "type");
        if (!o.path("type").asText().equals("tap") || o.has("helper")) {
            return value;
        }
        List<Integer> fds;
        if (o.has("fd") || o.has("fds")) {
            String named = o.has("fd") ? o.get("fd").asText() : o.get("fds").asText();
            if (!named.matches("\\d+(:\\d+)*")) {
                return value;
            }
            fds = Stream.of(named.split(":")).map(Integer::valueOf).toList();
        } else {
            fds = oldFiles.taps(o.path("ifname").asText());
        }
        if (fds.isEmpty()) {
            return value;
        }
        o.remove(TAP_OPENING);
        String numbers = fds.stream().map(fd -> Integer.toString(pass(fd, passed))).collect(Collectors.joining(":"));
        o.put(fds.size() == 1 ? "fd" : "fds", numbers);
        return json ? o.toString() : QemuOpts.format(o, "type");
    }

    /** The number the new QEMU gets the old one's {@code oldFd} at. */
    private static int pass(int oldFd, List<Integer> passed) {
        passed.add(oldFd);
        return Spawn.FIRST_PASSED_FD + passed.size() - 1;
    }

    /** {@code unix:PATH[,server=on][,wait=off]} of -qmp, -monitor, -serial, ... */
    private static String legacyUnix(String value, QemuArgs running, List<SocketMove> moves, long oldPid) {
        ObjectNode o = QemuOpts.parse(value.substring(5), "path");
        if (!isOn(o.path("server").asText("off"))) {
            return value;
        }
        SocketMove move = SocketMove.of(running.resolve(o.get("path").asText()), oldPid);
        moves.add(move);
        o.put("path", move.standbyPath().toString());
        return "unix:" + QemuOpts.format(o, "path");
    }

    private static boolean isOn(String v) {
        return v.equals("on") || v.equals("yes") || v.equals("true");
    }

    private static ObjectNode parseJson(String value) {
        try {
            JsonNode node = JSON.readTree(value);
            if (node instanceof ObjectNode o) {
                return o;
            }
        } catch (JsonProcessingException e) {
            // reported below with the offending text
        }
        throw new IllegalArgumentException("cannot read the QEMU option " + value);
    }
}
