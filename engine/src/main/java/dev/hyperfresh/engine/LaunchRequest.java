package dev.hyperfresh.engine;

import java.time.Duration;
import java.util.List;

/**
 * An hfvisor instance to start: its name, one hfvisor {@code --vm} spec per VM (man hfvisor) and how long SIGTERM
 * waits for the guests it asks to shut down ({@code --shutdown-timeout}; null: hfvisor's default).
 */
public record LaunchRequest(String name, List<String> vmSpecs, Duration shutdownTimeout) {
    public LaunchRequest {
        vmSpecs = List.copyOf(vmSpecs);
    }

    /** With hfvisor's default shutdown timeout. */
    public LaunchRequest(String name, List<String> vmSpecs) {
        this(name, vmSpecs, null);
    }
}
