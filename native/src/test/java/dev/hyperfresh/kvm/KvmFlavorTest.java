package dev.hyperfresh.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvmFlavorTest {
    @TempDir
    Path sysModule;

    private KvmFlavor with(String... modules) throws IOException {
        for (String m : modules) {
            Files.createDirectories(sysModule.resolve(m).resolve("parameters"));
        }
        return KvmFlavor.fromModules(sysModule);
    }

    @Test
    void eachVendorModuleNamesItsFlavour() throws IOException {
        assertThat(with("kvm", "kvm_intel")).isEqualTo(KvmFlavor.VMX);
    }

    @Test
    void amdIsSvm() throws IOException {
        assertThat(with("kvm", "kvm_amd")).isEqualTo(KvmFlavor.SVM);
    }

    @Test
    void pvmWinsOverTheHardwareModuleItWasChosenAlongside() throws IOException {
        assertThat(with("kvm", "kvm_intel", "kvm_pvm")).isEqualTo(KvmFlavor.PVM);
    }

    @Test
    void kvmWithoutAKnownVendorModuleIsUnknown() throws IOException {
        assertThat(with("kvm", "kvmgt")).isEqualTo(KvmFlavor.UNKNOWN);
        assertThat(KvmFlavor.UNKNOWN.describe()).isEqualTo("unknown KVM backend");
        assertThat(KvmFlavor.UNKNOWN.label()).isEqualTo("unknown");
        assertThat(KvmFlavor.PVM.describe()).isEqualTo("PVM (kvm_pvm)");
        assertThat(KvmFlavor.PVM.label()).isEqualTo("PVM");
    }

    @Test
    void aMissingSysfsIsUnknownNotAnError() {
        assertThat(KvmFlavor.fromModules(sysModule.resolve("absent"))).isEqualTo(KvmFlavor.UNKNOWN);
    }
}
