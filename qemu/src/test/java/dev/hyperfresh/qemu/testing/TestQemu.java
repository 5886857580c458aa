package dev.hyperfresh.qemu.testing;

import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.launch.HfguestVm;
import dev.hyperfresh.vmm.boot.MultibootLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/** The real QEMU from the distribution and the hfguest image the build embedded in vmm, for the tests. */
public final class TestQemu {
    private TestQemu() {
    }

    /** $QEMU, else qemu-system-x86_64 on PATH; missing is a failure, never a skip. */
    public static Path binary() {
        String configured = System.getenv("QEMU");
        if (configured != null) {
            return Path.of(configured);
        }
        return Stream.of(System.getenv("PATH").split(":")).map(d -> Path.of(d, "qemu-system-x86_64"))
                .filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IllegalStateException("qemu-system-x86_64 is not installed: these tests run the"
                        + " real QEMU (apt-get install qemu-system-x86, which bin/setup and .ci/run do)"));
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
}
