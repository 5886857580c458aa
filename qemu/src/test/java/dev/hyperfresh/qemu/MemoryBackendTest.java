package dev.hyperfresh.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryBackendTest {
    private static QemuInfo qemu(String version) {
        return new QemuInfo(Path.of("/run/vm.qmp"), 1, "", "running", true, version, Accelerator.KVM, List.of(),
                List.of(), true, false);
    }

    /** QEMU 8.1 began migrating shared RAM that is not a named file despite x-ignore-shared. */
    @Test
    void aSharedMemfdStaysInPlaceOnlyBeforeQemu81() {
        MemoryBackend memfd = new MemoryBackend("ram0", MemoryBackend.MEMFD, 1 << 30, true);
        MemoryBackend file = new MemoryBackend("ram0", MemoryBackend.FILE, 1 << 30, true);
        for (String older : List.of("7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", "8.0.5")) {
            assertThat(memfd.replaceableInPlace(qemu(older))).as(older).isTrue();
        }
        for (String newer : List.of("8.1.0", "10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)", "a build of its own")) {
            assertThat(memfd.replaceableInPlace(qemu(newer))).as(newer).isFalse();
            assertThat(file.replaceableInPlace(qemu(newer))).as(newer).isTrue();
        }
        assertThat(new MemoryBackend("ram0", MemoryBackend.FILE, 1 << 30, false).replaceableInPlace(qemu("7.2.0")))
                .as("private").isFalse();
        assertThat(new MemoryBackend("pc.ram", "memory-backend-ram", 1 << 30, true).replaceableInPlace(qemu("7.2.0")))
                .isFalse();
    }
}
