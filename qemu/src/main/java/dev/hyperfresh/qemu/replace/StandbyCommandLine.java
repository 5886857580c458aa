package dev.hyperfresh.qemu.replace;

import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.hyperfresh.qemu.MemoryBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
 * ({@code handed}, duplicated from it) at fd 3, 4, ... and its command line names them by number
 * ({@link FileHandover}). User-mode networks start
 * without their host forwards, added once the old QEMU has gone ({@link HostForwards}). The devices plugged in after
 * the old QEMU started are plugged into the new one over QMP before the migration ({@code plugged}, {@link HotPlugged}).
 */
public record StandbyCommandLine(List<String> argv, Path qmpSocket, List<SocketMove> socketMoves,
                                 Optional<Path> pidfile, Optional<Path> directory, Optional<VncListener> vnc,
                                 HostForwards forwards, FileHandover.Handed handed, HotPlugged plugged) {
    private static final Set<String> LEGACY_CHARDEV_OPTIONS = Set.of("serial", "parallel", "debugcon", "monitor",
            "qmp", "qmp-pretty");
    /** Properties that do not carry over to a backend that maps memory already in use. */
    private static final Set<String> DROPPED_FOR_SHARED = Set.of("mem-path", "prealloc", "prealloc-threads",
            "prealloc-context", "hugetlb", "hugetlbsize", "seal", "share");
    private static final Set<String> DROPPED_FOR_COPY = Set.of("mem-path", "align", "pmem", "discard-data",
            "readonly", "share");

    public StandbyCommandLine {
        argv = List.copyOf(argv);
        socketMoves = List.copyOf(socketMoves);
    }

    /**
     * @param sharedMemPaths for SHARED mode, backend id → a path the new QEMU opens to map that backend's memory
     *                       (empty for COPY)
     * @param attachedQmp    the QMP socket we drive the old QEMU through: the standby's QMP takes its place
     * @param vncAddresses   the TCP addresses the old QEMU's default VNC display listens on
     * @param notedPidfile   the pid file an earlier replacement wrote for the old QEMU (its command line has none)
     * @param oldFiles       the old QEMU's taps and TCP listeners
     * @param forwards       the old QEMU's host forwards
     * @param plugged        the devices plugged into the old QEMU after its start, its taps not yet handed over
     */
    static StandbyCommandLine derive(QemuArgs running, long oldPid, Path newBinary, ReplacementMode mode,
                                     Map<String, Path> sharedMemPaths, Path attachedQmp,
                                     List<VncListener.Address> vncAddresses, Optional<Path> notedPidfile,
                                     OpenFiles oldFiles, HostForwards forwards, HotPlugged plugged) {
        List<String> argv = new ArrayList<>(List.of(newBinary.toString()));
        List<SocketMove> moves = new ArrayList<>();
        FileHandover handover = new FileHandover(oldFiles, running, plugged.taps());
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
                case "chardev" -> argv.addAll(List.of("-chardev", chardev(value, running, moves, oldPid, handover)));
                case "netdev", "nic", "net" -> argv.addAll(List.of("-" + name,
                        handover.network(name, HostForwards.withoutForwards(value))));
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
                        argv.addAll(handover.legacyTcp(name, value));
                    } else {
                        argv.addAll(o.words());
                    }
                }
            }
        }
        for (String added : plugged.chardevs()) {
            argv.addAll(List.of("-chardev", chardev(added, running, moves, oldPid, handover)));
        }
        SocketMove qmp = moves.stream().filter(m -> m.path().equals(attachedQmp)).findFirst().orElse(null);
        if (qmp == null) {
            qmp = SocketMove.of(attachedQmp, oldPid);
            moves.add(qmp);
            argv.addAll(List.of("-qmp", "unix:" + qmp.standbyPath() + ",server=on,wait=off"));
        }
        argv.addAll(List.of("-S", "-incoming", "defer"));
        HotPlugged pluggedOnNewFds = plugged.handedOver(handover, o -> object(o, mode, sharedMemPaths));
        return new StandbyCommandLine(argv, qmp.standbyPath(), moves, Optional.ofNullable(pidfile),
                Optional.ofNullable(running.directory()), Optional.ofNullable(vnc), forwards, handover.handed(),
                pluggedOnNewFds);
    }

    /**
     * The same command line without {@code -S}: QEMU then runs the guest by itself as soon as its load ends (a
     * {@link StreamHold} keeps it from ending before the commit point; the benchmark's reference for QEMU's own
     * switch has none).
     */
    StandbyCommandLine runningOnceLoaded() {
        List<String> unpaused = new ArrayList<>(argv);
        unpaused.remove(unpaused.lastIndexOf("-S"));
        return new StandbyCommandLine(unpaused, qmpSocket, socketMoves, pidfile, directory, vnc, forwards, handed,
                plugged);
    }

    private static String object(String value, ReplacementMode mode, Map<String, Path> sharedMemPaths) {
        boolean json = QemuOpts.isJson(value);
        ObjectNode o = QemuOpts.read(value, "qom-type");
        String type = o.path("qom-type").asText();
        String id = o.path("id").asText();
        boolean shared = json ? o.path("share").asBoolean() : QemuOpts.isOn(o, "share");
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
        return QemuOpts.write(o, "qom-type", value);
    }

    private static String chardev(String value, QemuArgs running, List<SocketMove> moves, long oldPid,
                                  FileHandover handover) {
        ObjectNode o = QemuOpts.parse(value, "backend");
        String backend = o.path("backend").asText();
        boolean server = QemuOpts.isOn(o, "server");
        if (backend.equals("file")) {
            o.put("append", "on");
        } else if (backend.equals("socket") && o.has("path") && server) {
            SocketMove move = SocketMove.of(running.resolve(o.get("path").asText()), oldPid);
            moves.add(move);
            o.put("path", move.standbyPath().toString());
            QemuOpts.serveWithoutWaiting(o);
        } else if (!(backend.equals("socket") && server && handover.listener(o, o.path("port").asText(),
                "-chardev " + value))) {
            return value;
        }
        return QemuOpts.format(o, "backend");
    }

    /** {@code unix:PATH[,server=on][,wait=off]} of -qmp, -monitor, -serial, ... */
    private static String legacyUnix(String value, QemuArgs running, List<SocketMove> moves, long oldPid) {
        ObjectNode o = QemuOpts.parse(value.substring(5), "path");
        if (!QemuOpts.isOn(o, "server")) {
            return value;
        }
        SocketMove move = SocketMove.of(running.resolve(o.get("path").asText()), oldPid);
        moves.add(move);
        o.put("path", move.standbyPath().toString());
        QemuOpts.serveWithoutWaiting(o);
        return "unix:" + QemuOpts.format(o, "path");
    }

}
