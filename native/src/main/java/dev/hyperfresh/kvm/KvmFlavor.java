package dev.hyperfresh.kvm;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which backend serves a usable {@code /dev/kvm}: hardware virtualisation (VMX through {@code kvm_intel}, SVM
 * through {@code kvm_amd}) or PVM ({@code kvm_pvm}: no VMX/SVM, guest ring 0 emulated, shadow paging), read from the
 * vendor module the kernel has ({@link Kvm#flavor()}). Guests and figures behave very differently on each (docs: hfvisor(1), "PVM").
 */
public enum KvmFlavor {
    VMX("kvm_intel"),
    SVM("kvm_amd"),
    PVM("kvm_pvm"),
    /** /dev/kvm works but none of the modules above is there (a backend this build does not know). */
    UNKNOWN(null);

    static final Path SYS_MODULE = Path.of("/sys/module");

    private final String module;

    KvmFlavor(String module) {
        this.module = module;
    }

    /**
     * From {@code sysModule} (normally /sys/module, where loaded and built-in modules with parameters appear).
     * PVM comes first: kvm_pvm is only there because someone chose it, while kvm_intel/kvm_amd come with the CPU.
     */
    static KvmFlavor fromModules(Path sysModule) {
        for (KvmFlavor f : new KvmFlavor[] {PVM, VMX, SVM}) {
            if (Files.isDirectory(sysModule.resolve(f.module))) {
                return f;
            }
        }
        return UNKNOWN;
    }

    /** {@code VMX}, {@code SVM}, {@code PVM} or {@code unknown}: the word {@code info} and the shell show. */
    public String label() {
        return module == null ? "unknown" : name();
    }

    /** e.g. {@code PVM (kvm_pvm)}, for headers and logs. */
    public String describe() {
        return module == null ? "unknown KVM backend" : name() + " (" + module + ")";
    }
}
