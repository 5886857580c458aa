package dev.hyperfresh.bench;

import dev.hyperfresh.kvm.Kvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which KVM a figure was measured on ({@link Kvm#describeHost()}: VMX, SVM, PVM or why none), and whether that KVM
 * is itself under an emulated CPU: every header and result row carries this, as figures differ by orders of
 * magnitude between them.
 */
final class HostKvm {
    private HostKvm() {
    }

    static String describe() {
        String kind = Kvm.describeHost();
        return emulated() ? kind + " nested in QEMU TCG (emulated: timings meaningless)" : kind;
    }

    private static boolean emulated() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo")).contains("QEMU");
        } catch (IOException e) {
            return false;
        }
    }
}
