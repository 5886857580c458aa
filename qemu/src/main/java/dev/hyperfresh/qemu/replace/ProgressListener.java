package dev.hyperfresh.qemu.replace;

/** Receives a replacement's progress on the thread running it; must return quickly. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = p -> { };

    void progress(Progress p);
}
