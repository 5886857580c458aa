package dev.hyperfresh.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
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
        return text(file, name).map(v -> OptionalLong.of(Long.parseLong(v.split("\\s+")[0])))
                .orElse(OptionalLong.empty());
    }

    /** Process {@code pid}'s program name ({@code Name:}, the kernel's comm, 15 characters at most); empty if gone. */
    public static Optional<String> name(long pid) {
        try {
            return text(Path.of("/proc", Long.toString(pid), "status"), "Name");
        } catch (IOException gone) {
            return Optional.empty();
        }
    }

    private static Optional<String> text(Path file, String name) throws IOException {
        String prefix = name + ":";
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith(prefix)) {
                return Optional.of(line.substring(prefix.length()).strip());
            }
        }
        return Optional.empty();
    }
}
