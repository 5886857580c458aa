package dev.hyperfresh.engine;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Where instances live and how to start them: {@code socketDir} holds every instance's control socket, its log
 * and the replacement history; {@code hfvisor} is the launcher ({@code bin/hfvisor}) for new instances and the
 * default one for standbys; {@code startTimeout} bounds how long a starting instance may take to answer.
 */
public record EngineConfig(Path socketDir, Path hfvisor, Duration startTimeout) {
}
