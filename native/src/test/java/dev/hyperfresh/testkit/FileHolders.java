package dev.hyperfresh.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Which processes have a file open (a descriptor in /proc/PID/fd leading to it), or a tap interface attached (a
 * descriptor whose /proc/PID/fdinfo names it: every tap's descriptor leads to /dev/net/tun).
 */
public final class FileHolders {
    private FileHolders() {
    }

    public static List<Long> of(Path file) {
        String target = file.toAbsolutePath().toString();
        return holders(fd -> Files.readSymbolicLink(fd).toString().equals(target));
    }

    public static List<Long> ofTap(String name) {
        String line = "iff:\t" + name + "\n";
        return holders(fd -> Files.readString(fd.getParent().resolveSibling("fdinfo").resolve(fd.getFileName()))
                .contains(line));
    }

    private interface FdTest {
        boolean test(Path fd) throws IOException;
    }

    private static List<Long> holders(FdTest test) {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> pids = Files.list(Path.of("/proc"))) {
            for (Path p : pids.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                if (holds(p, test)) {
                    out.add(Long.parseLong(p.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return out;
    }

    private static boolean holds(Path pid, FdTest test) {
        try (Stream<Path> fds = Files.list(pid.resolve("fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return test.test(fd);
                } catch (IOException gone) {
                    return false;
                }
            });
        } catch (IOException | SecurityException gone) {   // a process that ended meanwhile, or not ours to read
            return false;
        }
    }
}
