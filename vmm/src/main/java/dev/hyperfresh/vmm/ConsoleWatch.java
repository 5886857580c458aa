package dev.hyperfresh.vmm;

import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Pidfd;
import dev.hyperfresh.sys.SysException;
import java.util.function.BooleanSupplier;

/**
 * Ties something an operator's console set up to that console's life: once the process (held by a pidfd, so a
 * reused pid cannot stand in for it) has exited, {@code whenGone} runs — unless {@code stillWatching} has turned
 * false first (the step finished normally).
 */
final class ConsoleWatch {
    private static final long POLL_MS = 200;

    private ConsoleWatch() {
    }

    static void onExit(int pid, BooleanSupplier stillWatching, Runnable whenGone) {
        if (pid <= 0) {
            return;
        }
        Fd console;
        try {
            console = Pidfd.open(pid);
        } catch (SysException alreadyGone) {
            console = null;
        }
        Fd watched = console;
        Thread t = new Thread(() -> {
            try (Fd closeMe = watched) {
                while (watched != null && !Pidfd.hasExited(watched)) {
                    if (!stillWatching.getAsBoolean()) {
                        return;
                    }
                    Thread.sleep(POLL_MS);
                }
                if (stillWatching.getAsBoolean()) {
                    whenGone.run();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "hf-console-watch-" + pid);
        t.setDaemon(true);
        t.start();
    }
}
