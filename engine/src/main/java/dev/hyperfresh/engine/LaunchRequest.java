package dev.hyperfresh.engine;

import java.util.List;

/** An hfvisor instance to start: its name and one hfvisor {@code --vm} spec per VM (man hfvisor). */
public record LaunchRequest(String name, List<String> vmSpecs) {
    public LaunchRequest {
        vmSpecs = List.copyOf(vmSpecs);
    }
}
