package dev.hyperfresh.progress;

/** Receives progress on whatever thread runs the step or reads its events; must return quickly. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = p -> { };

    void onProgress(Progress progress);
}
