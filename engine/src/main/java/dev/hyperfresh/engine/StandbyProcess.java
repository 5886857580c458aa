package dev.hyperfresh.engine;

import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.vmm.control.ControlServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A standby hfvisor this console starts for an instance, under the first name {@code INSTANCE-next-N} that has no
 * socket, until it answers. {@code launcher} is what was started: hfvisor itself, or a wrapper script whose process
 * group holds what else it started.
 */
final class StandbyProcess {
    private static final int MAX_STANDBYS = 100;

    private final HfvisorEngine engine;
    private final String instance;
    private final Path exe;
    private int n;
    private Process launcher;
    private Path socket;
    private Path log;
    private boolean newLog;

    private StandbyProcess(HfvisorEngine engine, String instance, Path exe) {
        this.engine = engine;
        this.instance = instance;
        this.exe = exe;
    }

    /** Starts {@code exe --standby} for {@code instance}; it is not answering yet. */
    static StandbyProcess start(HfvisorEngine engine, String instance, Path exe) {
        StandbyProcess standby = new StandbyProcess(engine, instance, exe);
        standby.spawn(1);
        return standby;
    }

    /**
     * Waits until the standby answers; one whose name another console's standby took meanwhile (its lock is held:
     * the hfvisor we started exits saying so) is started again under the next free name.
     */
    Instance awaitAnswer(ProgressListener progress) {
        while (true) {
            try {
                return Launcher.await(launcher, socket, log, engine.config().startTimeout(), "standby", progress);
            } catch (Launcher.NameTaken raced) {
                spawn(n + 1);
            }
        }
    }

    Process launcher() {
        return launcher;
    }

    /** Ends it before it took part in anything, leaving nothing of it behind. */
    void abandon() {
        Launcher.endGroup(launcher);
        removeIfStale(socket);
        if (newLog) {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                // a log left behind is only a file in the socket directory
            }
        }
    }

    /** Removes a socket whose process is gone (its name lock free, nothing answering); anything else stays. */
    static void removeIfStale(Path socket) {
        try {
            ControlServer.removeIfStale(socket);
        } catch (RuntimeException e) {
            // not ours to clean (another instance's file, or it is gone): `list` shows what is there
        }
    }

    private void spawn(int from) {
        for (int i = from; i <= MAX_STANDBYS; i++) {
            String name = instance + "-next-" + i;
            Path candidate = engine.socket(name);
            if (Files.exists(candidate)) {
                continue;
            }
            n = i;
            socket = candidate;
            log = engine.log(name);
            newLog = !Files.exists(log);
            launcher = Launcher.spawn(List.of(exe.toString(), "--standby", "--name", name, "--socket-dir",
                    engine.config().socketDir().toString()), log, true);
            return;
        }
        throw EngineException.precondition(MAX_STANDBYS + " standby names of " + instance + " are taken in "
                + engine.config().socketDir() + ": remove the stale sockets (`list` shows them)");
    }
}
