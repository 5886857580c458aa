package dev.hyperfresh.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Which KVM a figure was measured on: every result row carries this, as figures differ by orders of magnitude. */
final class HostKvm {
    private HostKvm() {
    }

    static String describe() {
        String kind = Files.exists(Path.of("/sys/module/kvm_pvm")) ? "PVM (shadow paging)"
                : Files.exists(Path.of("/sys/module/kvm_intel")) ? "VMX"
                : Files.exists(Path.of("/sys/module/kvm_amd")) ? "SVM" : "unknown KVM";
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
