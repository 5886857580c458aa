package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Pidfd;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * The guard process ({@link Guard}): takes pidfds on both QEMUs, says it is ready, and waits for its console's
 * word. Released, it exits; if its input ends without that word, the console has ended mid-replacement and it settles
 * the replacement ({@link UnfinishedReplacement}). Its own session, so the console's terminal cannot signal it.
 */
public final class GuardMain {
    private GuardMain() {
    }

    public static void main(String[] args) throws IOException {
        GuardOrders orders = GuardOrders.parse(args);
        Fd oldQemu = Pidfd.open((int) orders.oldPid());
        List<Fd> standby = orders.standbyPids().stream().map(pid -> Pidfd.open(pid.intValue())).toList();
        System.out.println(Guard.READY);
        System.out.flush();
        String word = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (Guard.RELEASED.equals(word)) {
            return;
        }
        log("the console ended before its replacement of QEMU pid " + orders.oldPid() + " by pid "
                + orders.standbyPid() + " did: settling it");
        try {
            log(new UnfinishedReplacement(orders, oldQemu, standby).settle());
        } catch (RuntimeException e) {
            log("could not settle it: " + e.getMessage());
            System.exit(1);
        }
    }

    private static void log(String line) {
        System.err.println(Instant.now() + " hyperfresh guard: " + line);
    }
}
