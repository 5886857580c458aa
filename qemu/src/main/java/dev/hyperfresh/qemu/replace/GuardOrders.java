package dev.hyperfresh.qemu.replace;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a {@link Guard} must know to settle a replacement its console left unfinished: both QEMUs, their QMP sockets,
 * and the files the new one takes over. Passed on the guard's command line ({@link #toArgs}, {@link #parse}).
 *
 * @param standbyPids the process started as the new QEMU and, when {@code --with} is a wrapper, the QEMU it started
 *                    (told over the guard's pipe as they become known)
 * @param service     the systemd service the new QEMU takes over ({@link PidFileService})
 */
record GuardOrders(long oldPid, Path oldQmp, boolean wasRunning, List<Long> standbyPids, Path standbyQmp,
                   Path migrationSocket, List<SocketMove> socketMoves, Optional<Path> pidfile,
                   Optional<VncListener> vnc, HostForwards forwards, Optional<String> service) {
    GuardOrders {
        standbyPids = List.copyOf(standbyPids);
        socketMoves = List.copyOf(socketMoves);
    }

    /** The same orders with {@code pid} (the QEMU a wrapper started) as the new QEMU. */
    GuardOrders withStandby(long pid) {
        List<Long> pids = new ArrayList<>(standbyPids);
        pids.add(pid);
        return new GuardOrders(oldPid, oldQmp, wasRunning, pids, standbyQmp, migrationSocket, socketMoves, pidfile,
                vnc, forwards, service);
    }

    /** The new QEMU itself: the last of {@link #standbyPids}; -1 before the console has told any. */
    long standbyPid() {
        return standbyPids.isEmpty() ? -1 : standbyPids.get(standbyPids.size() - 1);
    }

    List<String> toArgs() {
        List<String> args = new ArrayList<>(List.of("--old", Long.toString(oldPid), oldQmp.toString(),
                Boolean.toString(wasRunning), "--migration", migrationSocket.toString(), "--standby-qmp",
                standbyQmp.toString()));
        standbyPids.forEach(pid -> args.addAll(List.of("--standby", Long.toString(pid))));
        socketMoves.forEach(m -> args.addAll(List.of("--move", m.standbyPath().toString(), m.path().toString())));
        pidfile.ifPresent(p -> args.addAll(List.of("--pidfile", p.toString())));
        service.ifPresent(unit -> args.addAll(List.of("--service", unit)));
        vnc.ifPresent(v -> {
            args.addAll(List.of("--vnc", v.standbyPath().toString()));
            v.addresses().forEach(a -> args.addAll(List.of("--vnc-address", a.host(), a.port())));
        });
        for (List<String> network : forwards.rules()) {
            args.add("--network");
            network.forEach(rule -> args.addAll(List.of("--hostfwd", rule)));
        }
        return args;
    }

    static GuardOrders parse(String[] args) {
        long oldPid = -1;
        Path oldQmp = null;
        Path standbyQmp = null;
        Path migration = null;
        boolean wasRunning = false;
        List<Long> standby = new ArrayList<>();
        List<SocketMove> moves = new ArrayList<>();
        Optional<Path> pidfile = Optional.empty();
        Optional<String> service = Optional.empty();
        Path vncStandby = null;
        List<VncListener.Address> vncAddresses = new ArrayList<>();
        List<List<String>> forwards = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--old" -> {
                    oldPid = Long.parseLong(args[++i]);
                    oldQmp = Path.of(args[++i]);
                    wasRunning = Boolean.parseBoolean(args[++i]);
                }
                case "--migration" -> migration = Path.of(args[++i]);
                case "--standby-qmp" -> standbyQmp = Path.of(args[++i]);
                case "--standby" -> standby.add(Long.parseLong(args[++i]));
                case "--move" -> moves.add(new SocketMove(Path.of(args[++i]), Path.of(args[++i])));
                case "--pidfile" -> pidfile = Optional.of(Path.of(args[++i]));
                case "--service" -> service = Optional.of(args[++i]);
                case "--vnc" -> vncStandby = Path.of(args[++i]);
                case "--vnc-address" -> vncAddresses.add(new VncListener.Address(args[++i], args[++i]));
                case "--network" -> forwards.add(new ArrayList<>());   // the next user-mode network's forwards follow
                case "--hostfwd" -> forwards.get(forwards.size() - 1).add(args[++i]);
                default -> throw new IllegalArgumentException("unknown guard argument " + args[i]);
            }
        }
        if (oldQmp == null || standbyQmp == null || migration == null) {
            throw new IllegalArgumentException("a guard needs --old, --standby-qmp and --migration");
        }
        return new GuardOrders(oldPid, oldQmp, wasRunning, standby, standbyQmp, migration, moves, pidfile,
                Optional.ofNullable(vncStandby).map(p -> new VncListener(p, vncAddresses)), new HostForwards(forwards),
                service);
    }
}
