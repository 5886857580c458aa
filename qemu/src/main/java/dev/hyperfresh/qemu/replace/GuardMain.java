package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Pidfd;
import dev.hyperfresh.sys.ProcStat;
import dev.hyperfresh.sys.SysException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The guard process ({@link Guard}): takes pidfds on both QEMUs, says it is ready, and waits for its console's
 * word (and for the pid of the QEMU a {@code --with} wrapper started, when the console has learnt it). Released, it
 * exits; if its input ends without that word, the console has ended mid-replacement and it settles
 * the replacement ({@link UnfinishedReplacement}). Its own session, so the console's terminal cannot signal it.
 */
public final class GuardMain {
    private static final int STOPPED_LIMIT_MS = 2000;
    /**
     * A look is one pread of a file kept open, ~20 µs interpreted (it never runs often enough to be compiled): no
     * native call through JNR (whose reflective calls cost milliseconds interpreted) and no parsing into strings,
     * which, every 0.1 s, showed in the new QEMU's way from the commit point to its RESUME.
     */
    private static final int WATCH_MS = 250;
    private static final int SIGKILL = 9;

    private GuardMain() {
    }

    public static void main(String[] args) throws IOException {
        GuardOrders orders = GuardOrders.parse(args);
        watchForAStoppedConsole();
        Fd oldQemu = Pidfd.open((int) orders.oldPid());
        Optional<PidFileService> service = takenOver(orders);
        List<Fd> standby = new ArrayList<>();
        for (long pid : orders.standbyPids()) {
            watch(standby, pid);
        }
        System.out.println(Guard.READY);
        System.out.flush();
        BufferedReader console = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = console.readLine(); line != null; line = console.readLine()) {
            if (line.equals(Guard.RELEASED)) {
                return;
            }
            if (line.startsWith(Guard.STANDBY)) {
                long pid = Long.parseLong(line.substring(Guard.STANDBY.length()));
                orders = orders.withStandby(pid);
                watch(standby, pid);
            }
        }
        log("the console ended before its replacement of QEMU pid " + orders.oldPid() + " by pid "
                + orders.standbyPid() + " did: settling it");
        try {
            log(new UnfinishedReplacement(orders, oldQemu, standby, service).settle());
        } catch (RuntimeException e) {
            log("could not settle it: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * A console stopped mid-replacement (Ctrl-Z, SIGSTOP, a debugger) would hold the VM frozen as long as it stays
     * stopped, and might act on stale knowledge once continued: after {@link #STOPPED_LIMIT_MS} it is killed, and
     * its pipe's end makes this guard settle the replacement.
     */
    private static void watchForAStoppedConsole() {
        Optional<ProcessHandle> parent = ProcessHandle.current().parent();
        Optional<ProcStat.StateReader> stat = parent.flatMap(p -> ProcStat.StateReader.of(p.pid()));
        if (stat.isEmpty()) {
            return;
        }
        long console = parent.get().pid();
        Fd pidfd = Pidfd.open((int) console);
        ProcStat.StateReader state = stat.get();
        Thread watcher = new Thread(() -> {
            int stoppedFor = 0;
            for (char now = state.state(); now != 0; now = state.state()) { // 0: the console has gone
                stoppedFor = now == 'T' || now == 't' ? stoppedFor + WATCH_MS : 0;
                if (stoppedFor >= STOPPED_LIMIT_MS) {
                    log("the console pid " + console + " has been stopped for " + STOPPED_LIMIT_MS / 1000
                            + " s in the middle of the replacement: killed it");
                    Pidfd.sendSignal(pidfd, SIGKILL);
                    return;
                }
                try {
                    Thread.sleep(WATCH_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "console watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** The service the new QEMU takes over, its cgroups read now, while the old QEMU is in them. */
    private static Optional<PidFileService> takenOver(GuardOrders orders) {
        try {
            return orders.service().isEmpty() ? Optional.empty()
                    : Optional.of(PidFileService.of(orders.service().get(), orders.oldPid()));
        } catch (IOException e) {
            log("cannot read the cgroups of QEMU pid " + orders.oldPid() + " (" + e.getMessage() + "): if this guard"
                    + " finishes the replacement, the new QEMU stays outside " + orders.service().get() + "'s");
            return Optional.empty();
        }
    }

    /** A new QEMU that has exited already (it failed to start: the console rolls back) needs no killing. */
    private static void watch(List<Fd> standby, long pid) {
        try {
            standby.add(Pidfd.open((int) pid));
        } catch (SysException e) {
            log("the new QEMU pid " + pid + " has exited already");
        }
    }

    private static void log(String line) {
        System.err.println(Instant.now() + " hyperfresh guard: " + line);
    }
}
