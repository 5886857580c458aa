package dev.hyperfresh.qemu.launch;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.KvmFlavor;
import dev.hyperfresh.qemu.Accelerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A QEMU command line running hfguest as a multiboot kernel, its heartbeat lines going to {@code debugLog}
 * (isa-debugcon on port 0xe9, appended so a replacement QEMU continues the same file). With
 * {@code sharedMemory} the guest RAM is a {@code memory-backend-memfd,share=on} (replaceable in place), without
 * it plain private RAM (only copy mode can move it).
 */
public record HfguestVm(Path qemuBinary, Accelerator accelerator, int cpus, int memoryMiB, boolean sharedMemory,
                        Path kernel, String guestArgs, Path debugLog, Path qmpSocket) {

    /**
     * q35's power button, where SeaBIOS puts its PM1 registers (hfvisor's ports too), and its S5 as QEMU's
     * {@code \_S5_} says (SLP_TYP 0): hfguest answers {@code system_powerdown} by powering off.
     */
    private static final String ACPI = " acpi=1 acpi_s5=0";

    public List<String> commandLine() {
        List<String> argv = new ArrayList<>(List.of(qemuBinary.toString()));
        argv.addAll(accelerator.launchArgs());
        argv.addAll(List.of("-smp", Integer.toString(cpus), "-m", memoryMiB + "M"));
        if (sharedMemory) {
            argv.addAll(List.of("-object", "memory-backend-memfd,id=ram0,size=" + memoryMiB + "M,share=on",
                    "-machine", "q35,memory-backend=ram0"));
        } else {
            argv.addAll(List.of("-machine", "q35"));
        }
        argv.addAll(List.of("-display", "none", "-no-reboot", "-nodefaults", "-serial", "none", "-monitor", "none",
                "-kernel", kernel.toString(), "-append", guestArgs + ACPI + pvmArgs(),
                "-chardev", "file,id=hb,path=" + debugLog + ",append=on",
                "-device", "isa-debugcon,iobase=0xe9,chardev=hb",
                "-device", "isa-debug-exit,iobase=0xf4",
                "-qmp", "unix:" + qmpSocket + ",server=on,wait=off"));
        return argv;
    }

    /**
     * On a PVM host KVM runs guest ring 0 in its instruction emulator, which stops at an int3 there; hfvisor
     * delivers that #BP itself, QEMU does not, so hfguest leaves out its ring-0 int3 check under QEMU on PVM.
     */
    private String pvmArgs() {
        return accelerator == Accelerator.KVM && Kvm.hostFlavor() == KvmFlavor.PVM ? " int3_r0=0" : "";
    }
}
