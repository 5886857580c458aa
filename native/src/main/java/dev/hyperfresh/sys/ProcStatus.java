package dev.hyperfresh.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Numeric fields of {@code /proc/PID/status}, for what {@link ProcStat} does not carry (a thread's Tgid, VmRSS), and
 * of the other {@code /proc} files in its {@code Name: value} format ({@code /proc/meminfo}).
 */
public final class ProcStatus {
    private ProcStatus() {
    }

    /**
     * The number at the start of field {@code name} (in the kernel's unit: kB for the Vm* fields) of {@code process}
     * (a pid or tid, or {@code self}); empty if it has no such field.
     */
    public static OptionalLong number(String process, String name) throws IOException {
        return number(Path.of("/proc", process, "status"), name);
    }

    /** The number at the start of field {@code name} of {@code file}, a {@code Name: value} file of /proc. */
    public static OptionalLong number(Path file, String name) throws IOException {
        String prefix = name + ":";
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith(prefix)) {
                return OptionalLong.of(Long.parseLong(line.substring(prefix.length()).strip().split("\\s+")[0]));
            }
        }
        return OptionalLong.empty();
    }
}
