package dev.hyperfresh.qemu.replace;

import dev.hyperfresh.qemu.MemoryBackend;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Pidfd;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
    private static final String PROC = "/proc/";
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

    /**
     * The one open file in QEMU's fd table that is this backend's memory: right kind and size, one inode. A file
     * backend an earlier replacement gave its QEMU names our console's descriptor ({@code /proc/PID/fd/N}, gone with
     * that console), not the file: any file QEMU maps shared is a candidate then (its disk images it reads, never
     * maps).
     */
    private static int findFd(long pid, MemoryBackend b, String memPath) {
        Path fdDir = Path.of("/proc", Long.toString(pid), "fd");
        Set<Long> inodes = new HashSet<>();
        int found = -1;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fdDir)) {
            Set<Long> mapped = b.type().equals(MemoryBackend.FILE) && memPath != null && memPath.startsWith(PROC)
                    ? sharedMappings(pid) : Set.of();
            for (Path entry : entries) {
                try {
                    String target = Files.readSymbolicLink(entry).toString();
                    boolean candidate = isCandidate(b, memPath, target);
                    if (!candidate && mapped.isEmpty() || Files.size(entry) != b.sizeBytes()) {
                        continue;   // stat'ed only where it may be the one
                    }
                    long inode = inode(entry);
                    if ((candidate || mapped.contains(inode)) && inodes.add(inode)) {
                        found = Integer.parseInt(entry.getFileName().toString());
                    }
                } catch (NoSuchFileException closedMeanwhile) {
                    // QEMU closed it after the listing (a device unplugged, a client gone): no backend's RAM, whose
                    // descriptor lives as long as the backend
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
            return b.type().equals(MemoryBackend.MEMFD) || memPath == null || memPath.startsWith(PROC);
        }
        return b.type().equals(MemoryBackend.FILE) && memPath != null && (target.equals(memPath)
                || target.equals(memPath + " (deleted)") || target.startsWith(memPath + "/qemu_back_mem."));
    }

    private static long inode(Path entry) throws IOException {
        return ((Number) Files.getAttribute(entry, "unix:ino")).longValue();
    }

    /** The inodes of the files {@code pid} maps shared ({@code /proc/PID/maps}: "rw-s", an inode, a path). */
    private static Set<Long> sharedMappings(long pid) throws IOException {
        Set<Long> inodes = new HashSet<>();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "maps"))) {
            String[] f = line.trim().split("\\s+", 6);
            if (f.length == 6 && f[1].endsWith("s") && !f[4].equals("0")) {
                inodes.add(Long.parseLong(f[4]));
            }
        }
        return inodes;
    }
}
