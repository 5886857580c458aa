package dev.hyperfresh.engine;

import dev.hyperfresh.progress.ProgressListener;
import dev.hyperfresh.sys.Sys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A console in its own process, as {@code hyperfresh replace INSTANCE --with LAUNCHER} is: one replacement through the
 * engine, its outcome printed as one line ({@code REPORT outcome reason} or {@code ERROR kind message}). When
 * {@code SIGNAL} (9 or 19) is given it sends it to itself the first time the replacement reports phase {@code PHASE}:
 * a console that crashes, or hangs, at that step.
 * <p>Arguments: SOCKET_DIR INSTANCE LAUNCHER START_TIMEOUT_MS [PHASE SIGNAL]
 */
public final class FaultConsoleMain {
    private FaultConsoleMain() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        String phase = args.length > 5 ? args[4] : null;
        int signal = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        HfvisorEngine engine = new HfvisorEngine(new EngineConfig(dir, Path.of(args[2]),
                Duration.ofMillis(Long.parseLong(args[3]))));
        AtomicBoolean hit = new AtomicBoolean();
        ProgressListener progress = p -> {
            if (p.phase().equals(phase) && hit.compareAndSet(false, true)) {
                System.out.println("SIGNAL " + signal + " at " + phase);
                System.out.flush();
                Sys.C.kill(Sys.C.getpid(), signal);
            }
        };
        try {
            ReplaceReport r = engine.replacement(args[1]).replace(Path.of(args[2]), Duration.ofSeconds(1), progress);
            System.out.println("REPORT " + r.outcome() + " " + r.reason() + " verified=" + r.verified());
        } catch (EngineException e) {
            System.out.println("ERROR " + e.kind() + " " + e.getMessage());
        } catch (RuntimeException e) {
            System.out.println("ERROR " + e);
        }
        System.out.flush();
        System.exit(0);   // subscriptions' reader threads must not keep a console alive that is done

    }
}
