package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.MemoryBackend;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Pidfd;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Our own references to a running QEMU's guest RAM: each shared backend's memfd or file, duplicated out of the
 * QEMU with pidfd_getfd. While held, the memory outlives either QEMU, and the new QEMU maps it through
 * {@code /proc/<our pid>/fd/<n>} — the very file the old one maps, whatever happens to the old one's descriptors.
 */
final class GuestMemoryHold implements AutoCloseable {
    private final Map<String, Fd> fds;

    private GuestMemoryHold(Map<String, Fd> fds) {
        this.fds = fds;
    }

    /**
     * @param memPaths for file backends, id → their mem-path (a file, or a directory QEMU made an unlinked file in)
     */
    static GuestMemoryHold take(long pid, List<MemoryBackend> backends, Map<String, String> memPaths) {
        Map<String, Fd> held = new LinkedHashMap<>();
        try (Fd pidfd = Pidfd.open((int) pid)) {
            for (MemoryBackend b : backends) {
                int fd = findFd(pid, b, memPaths.get(b.id()));
                held.put(b.id(), Pidfd.getFd(pidfd, fd));
            }
            return new GuestMemoryHold(held);
        } catch (RuntimeException e) {
            held.values().forEach(Fd::close);
            throw e;
        }
    }

    /** Backend id → the path the new QEMU maps it from. */
    Map<String, Path> paths() {
        long self = ProcessHandle.current().pid();
        Map<String, Path> paths = new LinkedHashMap<>();
        fds.forEach((id, fd) -> paths.put(id, Path.of("/proc", Long.toString(self), "fd", Integer.toString(fd.get()))));
        return paths;
    }

    @Override
    public void close() {
        fds.values().forEach(Fd::close);
    }

    /** The one open file in QEMU's fd table that is this backend's memory: right kind and size, one inode. */
    private static int findFd(long pid, MemoryBackend b, String memPath) {
        Path fdDir = Path.of("/proc", Long.toString(pid), "fd");
        Set<Object> inodes = new HashSet<>();
        int found = -1;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fdDir)) {
            for (Path entry : entries) {
                String target = Files.readSymbolicLink(entry).toString();
                if (isCandidate(b, memPath, target) && Files.size(entry) == b.sizeBytes()
                        && inodes.add(Files.getAttribute(entry, "unix:ino"))) {
                    found = Integer.parseInt(entry.getFileName().toString());
                }
            }
        } catch (IOException e) {
            throw new NotReplaceableException("cannot inspect the open files of QEMU pid " + pid + " (" + e.getMessage()
                    + "): hyperfresh needs the same user as QEMU, or root");
        }
        if (inodes.size() != 1) {
            throw new NotReplaceableException("cannot tell which open file of QEMU pid " + pid + " is the memory of"
                    + " backend '" + b.id() + "' (" + b.type() + ", " + b.sizeBytes() + " bytes): " + inodes.size()
                    + " candidates; use copy mode");
        }
        return found;
    }

    private static boolean isCandidate(MemoryBackend b, String memPath, String target) {
        if (target.startsWith("/memfd:")) {
            // a memfd backend's own memfd, or a file backend mapping a memfd through /proc/PID/fd/N, as the QEMUs
            // that hyperfresh started do
            return b.type().equals(MemoryBackend.MEMFD) || memPath == null || memPath.startsWith("/proc/");
        }
        return b.type().equals(MemoryBackend.FILE) && memPath != null && (target.equals(memPath)
                || target.equals(memPath + " (deleted)") || target.startsWith(memPath + "/qemu_back_mem."));
    }
}
