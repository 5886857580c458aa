package dev.hyperfresh.vmm.handover;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether these tests run on an emulated CPU (tools/nested-kvm), where they must size themselves down. */
final class EmulatedCpu {
    static final boolean DETECTED = detect();

    private EmulatedCpu() {
    }

    private static boolean detect() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo")).contains("QEMU");
        } catch (IOException e) {
            return false;
        }
    }
}
