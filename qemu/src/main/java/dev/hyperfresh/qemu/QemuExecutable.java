package dev.hyperfresh.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The program file a QEMU process runs, as {@code /proc/PID/exe} names it. A package upgrade replaces the file under
 * a running QEMU, which goes on running the old one: the link then reads {@code "PATH (deleted)"}, and it is no
 * longer the file the path names — which is how a host's upgrade tells the QEMUs still to be replaced.
 */
public final class QemuExecutable {
    /** What /proc appends to the program's path once its file was replaced. */
    public static final String REPLACED = " (deleted)";

    private QemuExecutable() {
    }

    /**
     * Whether {@code pid} runs a QEMU system emulator ({@code qemu-system-*}, or a distribution's {@code qemu-kvm}),
     * its file replaced since or not; false once it is gone or where /proc does not say.
     */
    public static boolean isQemu(long pid) {
        try {
            String program = Path.of(of(pid)).getFileName().toString();
            if (program.endsWith(REPLACED)) {
                program = program.substring(0, program.length() - REPLACED.length());
            }
            return program.startsWith("qemu-system-") || program.equals("qemu-kvm");
        } catch (IOException | UnsupportedOperationException notOurs) {
            return false;
        }
    }

    /** The program {@code pid} runs, in /proc's words (with " (deleted)" once its file was replaced). */
    public static String of(long pid) throws IOException {
        return Files.readSymbolicLink(exe(pid)).toString();
    }

    /** Whether {@code pid} runs the very file {@code binary} names now (the same inode, links followed). */
    public static boolean runs(long pid, Path binary) throws IOException {
        return Files.isSameFile(exe(pid), binary);
    }

    private static Path exe(long pid) {
        return Path.of("/proc", Long.toString(pid), "exe");
    }
}
