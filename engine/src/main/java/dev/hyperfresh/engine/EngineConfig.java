package dev.hyperfresh.engine;

import dev.hyperfresh.vmm.control.ControlClient;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where instances live and how to start them: {@code socketDir} holds every instance's control socket, its log
 * and the replacement history; {@code hfvisor} is the launcher ({@code bin/hfvisor}) for new instances and the
 * default one for standbys; {@code startTimeout} bounds how long a starting instance may take to answer.
 */
public record EngineConfig(Path socketDir, Path hfvisor, Duration startTimeout) {
    /**
     * From the console's settings: {@code socketDir} blank for the default ({@code $XDG_RUNTIME_DIR/hyperfresh}),
     * {@code home} the checkout whose {@code bin/hfvisor} starts instances unless {@code hfvisor} names another.
     */
    public static EngineConfig of(String socketDir, String home, String hfvisor, Duration startTimeout) {
        Path dir = socketDir.isBlank() ? ControlClient.defaultSocketDir() : Path.of(socketDir);
        Path launcher = hfvisor.isBlank() ? Path.of(home, "bin", "hfvisor") : Path.of(hfvisor);
        return new EngineConfig(dir.toAbsolutePath(), launcher.toAbsolutePath().normalize(), startTimeout);
    }
}
