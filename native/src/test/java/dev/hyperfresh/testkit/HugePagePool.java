package dev.hyperfresh.testkit;

import dev.hyperfresh.sys.ProcStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The host's pool of 2 MiB huge pages, set for a test so that exactly {@code pages} are free (a test that needs the
 * pool to run dry at a known moment), and given back as it was on close. Setting it needs root (CI runs as root);
 * where it cannot be set the test is a {@link Prerequisite}: skipped, or failed where KVM tests are required.
 */
public final class HugePagePool implements AutoCloseable {
    private static final Path NR = Path.of("/proc/sys/vm/nr_hugepages");
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    private final long before;

    private HugePagePool(long before) {
        this.before = before;
    }

    public static HugePagePool withFree(long pages) {
        long total;
        long free;
        try {
            // not Files.readString: it reads one byte of a procfs file, whose size is 0
            total = Long.parseLong(Files.readAllLines(NR).get(0).trim());
            free = free();
        } catch (IOException | RuntimeException e) {
            Prerequisite.require(Optional.of("no huge page pool to read (" + e.getMessage() + ")"));
            throw new IllegalStateException(e);
        }
        HugePagePool pool = new HugePagePool(total);
        long wanted = total - free + pages;
        try {
            Files.writeString(NR, Long.toString(wanted));
        } catch (IOException e) {
            Prerequisite.require(Optional.of("cannot set " + NR + " to " + wanted + " (" + e.getMessage()
                    + "): run as root"));
        }
        long now = free();
        if (now != pages) {
            pool.close();
            Prerequisite.require(Optional.of("the host gave " + now + " free huge pages, not " + pages
                    + " (memory too fragmented, or another user of the pool)"));
        }
        return pool;
    }

    /** HugePages_Free of /proc/meminfo. */
    public static long free() {
        try {
            return ProcStatus.number(MEMINFO, "HugePages_Free")
                    .orElseThrow(() -> new IllegalStateException("no HugePages_Free in " + MEMINFO));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + MEMINFO, e);
        }
    }

    @Override
    public void close() {
        try {
            Files.writeString(NR, Long.toString(before));
        } catch (IOException e) {
            throw new IllegalStateException("cannot give back " + NR + " = " + before, e);
        }
    }
}
