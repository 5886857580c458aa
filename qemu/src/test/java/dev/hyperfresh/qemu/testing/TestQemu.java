package dev.hyperfresh.qemu.testing;

import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.launch.HfguestVm;
import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.testkit.Prerequisite;
import dev.hyperfresh.vmm.boot.MultibootLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/** The real QEMU from the distribution and the hfguest image the build embedded in vmm, for the tests. */
public final class TestQemu {
    private TestQemu() {
    }

    /** The real QEMU: missing is a failure, never a skip. */
    public static Path binary() {
        return QemuProcess.defaultBinary();
    }

    /**
     * A newer QEMU release than {@link #binary}: Debian backports' (tools/newer-qemu/fetch unpacks it; .ci/run runs
     * that), missing a failure where KVM tests are required, as the Linux test guest.
     */
    public static Path newer() {
        String cache = System.getenv().getOrDefault("XDG_CACHE_HOME", System.getProperty("user.home") + "/.cache");
        Path wrapper = Path.of(cache, "hyperfresh", "newer-qemu", "bin", "qemu-system-x86_64");
        Prerequisite.require(Files.isExecutable(wrapper) ? Optional.empty()
                : Optional.of(wrapper + " is missing; run tools/newer-qemu/fetch"));
        return wrapper;
    }

    /**
     * A QEMU installed under {@code prefix} as a package installs it under /usr: a copy of the real binary in
     * {@code prefix/bin}, with {@code prefix/lib} and {@code prefix/share} linked to the real installation's (QEMU
     * looks for its modules and firmware relative to where it runs from). Its own file, so that {@link #upgrade} can
     * replace it under a running QEMU.
     */
    public static Path installedCopy(Path prefix) {
        Path real = binary().toAbsolutePath();
        Path root = real.getParent().getParent();
        try {
            Files.createDirectories(prefix);
            for (String dir : new String[] {"lib", "share"}) {
                Files.createSymbolicLink(prefix.resolve(dir), root.resolve(dir));
            }
            Path copy = prefix.resolve("bin").resolve(real.getFileName());
            Files.createDirectories(copy.getParent());
            return Files.copy(real, copy, StandardCopyOption.COPY_ATTRIBUTES);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What a package upgrade does to {@code binary}: a new file renamed over it, so that a QEMU running it goes on
     * running the old one (/proc/PID/exe: "... (deleted)").
     */
    public static void upgrade(Path binary) {
        Path next = binary.resolveSibling(binary.getFileName() + ".dpkg-new");
        try {
            Files.copy(binary, next, StandardCopyOption.COPY_ATTRIBUTES);
            Files.move(next, binary, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the embedded hfguest.bin into {@code dir} (QEMU's -kernel needs a file). */
    public static Path hfguest(Path dir) {
        Path target = dir.resolve("hfguest.bin");
        try (InputStream in = MultibootLoader.class.getResourceAsStream(MultibootLoader.EMBEDDED_GUEST)) {
            if (in == null) {
                throw new IllegalStateException(MultibootLoader.EMBEDDED_GUEST + " missing from the vmm jar");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A small 2-vCPU hfguest VM whose files all live in {@code dir}. */
    public static HfguestVm vm(Path dir, String name, Accelerator accel, boolean sharedMemory, String guestArgs) {
        return new HfguestVm(binary(), accel, 2, 128, sharedMemory, hfguest(dir), guestArgs,
                dir.resolve(name + ".hb"), dir.resolve(name + ".qmp"));
    }

    /**
     * Kills every process whose command line mentions {@code dir}: the QEMUs a test started there, including a
     * replacement's new QEMU when the test failed before learning its pid.
     */
    public static void killAllIn(Path dir) {
        ProcessHandle.allProcesses().filter(p -> mentions(p, dir.toString())).forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * Whether {@code p}'s command line holds {@code text}: read from /proc whole, where ProcessHandle's arguments
     * are none for one longer than a page (a QEMU's whose -cpu names every flag).
     */
    public static boolean mentions(ProcessHandle p, String text) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ').contains(text);
        } catch (IOException gone) {
            return false;
        }
    }
}
