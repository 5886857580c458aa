package dev.hyperfresh.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether a process lives in another of some kind of Linux namespace than this one ({@code /proc/PID/ns/KIND}). */
public final class Namespaces {
    private Namespaces() {
    }

    /**
     * {@code kind}: pid, mnt, net, ...; false when it cannot be told (the process gone, its links not readable to
     * this user): a question for callers whose next step then speaks for itself.
     */
    public static boolean differ(String kind, long pid) {
        try {
            return !Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", kind))
                    .equals(Files.readSymbolicLink(Path.of("/proc/self/ns", kind)));
        } catch (IOException e) {
            return false;
        }
    }
}
