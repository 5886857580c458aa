package dev.hyperfresh.engine;

/** Receives progress from the engine, on whatever thread the engine runs the step or reads events on. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = p -> { };

    void onProgress(Progress progress);
}
