package dev.hyperfresh.vmm.boot.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.Vm;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.devices.CmosRtc;
import dev.hyperfresh.vmm.devices.I8042;
import dev.hyperfresh.vmm.devices.Uart8250;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Debian's kernel on hfvisor, judged by its serial console. Uses guests/linux's build (kernel + busybox
 * initramfs) when fetch-and-build.sh has run; otherwise /boot's kernel alone, which gets as far as not finding a
 * root filesystem and, with panic=-1 reboot=k, asking the PS/2 controller for a reset. Runs are counted in
 * milestones, not seconds: on a nested (emulated) KVM everything is slow.
 */
@RequiresKvm
class LinuxOnHfvisorTest {
    static final String CMDLINE = "console=ttyS0 earlycon=uart8250,io,0x3f8 reboot=k panic=-1 pci=off acpi=off";
    private static final Duration PATIENCE = Duration.ofMinutes(4);
    private static final Path GUEST = Path.of(Optional.ofNullable(System.getenv("XDG_CACHE_HOME"))
            .orElse(System.getProperty("user.home") + "/.cache"), "hyperfresh", "linux");

    @Test
    void bootsOnTwoVcpusWithTheConsoleOnCom1() throws Exception {
        Path kernel = GUEST.resolve("vmlinuz");
        Path initrd = GUEST.resolve("initramfs.cpio.gz");
        boolean userspace = Files.isReadable(kernel) && Files.isReadable(initrd);
        if (!userspace) {
            Optional<Path> installed = TestKernels.debianKernel();
            assumeTrue(installed.isPresent(), "no Linux guest in " + GUEST + " (guests/linux/fetch-and-build.sh) and "
                    + TestKernels.NO_DEBIAN_KERNEL);
            kernel = installed.get();
        }
        SerialConsole console = new SerialConsole();
        CompletableFuture<Void> reboot = new CompletableFuture<>();
        LinuxLoader loader = new LinuxLoader(kernel, userspace ? initrd : null, CMDLINE);
        try (Kvm kvm = Kvm.open();
             VirtualMachine vm = VirtualMachine.create(kvm, new VmConfig("linux", 512L << 20, 2, false, loader,
                     "linux"))) {
            attachPcDevices(vm, console, () -> reboot.complete(null));
            vm.start();

            console.await("Linux version \\S+", PATIENCE, vm, reboot);
            milestone(console, "kernel started (earlycon)");
            console.await("found SMP MP-table at", PATIENCE, vm, reboot);
            console.await("smpboot: Total of 2 processors activated", PATIENCE, vm, reboot);
            milestone(console, "both vCPUs up through the MP table");
            console.await("serial8250: ttyS0 at I/O 0x3f8 \\(irq = 4.*is a 16550A", PATIENCE, vm, reboot);
            milestone(console, "8250 driver found a 16550A on IRQ 4");
            if (!userspace) {
                console.await("VFS: Unable to mount root fs", PATIENCE, vm, reboot);
                reboot.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                milestone(console, "no root fs, panic, reset through the i8042");
                return;
            }
            console.await("LINUXBOOT kernel=\\S+ cpus=2", PATIENCE, vm, reboot);
            milestone(console, "userspace /init running");
            console.await("LINUXHB seq=2 .*\\R+memcheck ok seq=2", PATIENCE, vm, reboot);
            milestone(console, "heartbeats and memcheck");
            assertThat(console.text()).doesNotContain("memcheck FAIL", "Keylock active", "Kernel panic");
        }
    }

    /** COM1 on IRQ 4, the PS/2 controller (its reset is how reboot=k restarts) and the CMOS clock. */
    static void attachPcDevices(VirtualMachine vm, SerialConsole console, Runnable resetRequest) {
        Vm kvmVm = vm.kvmVm();
        Uart8250 com1 = Uart8250.com1(high -> kvmVm.irqLine(Uart8250.COM1_IRQ, high), console);
        vm.addStatefulDevice("com1", com1.base(), Uart8250.PORTS, com1);
        I8042 i8042 = new I8042(high -> kvmVm.irqLine(I8042.KEYBOARD_IRQ, high),
                high -> kvmVm.irqLine(I8042.AUX_IRQ, high), resetRequest);
        vm.addDevice(I8042.DATA_PORT, 1, i8042);
        vm.addDevice(I8042.COMMAND_PORT, 1, i8042);
        vm.addDevice(CmosRtc.INDEX_PORT, 2, new CmosRtc());
    }

    private static void milestone(SerialConsole console, String what) {
        System.out.printf("%nlinux on hfvisor: %s after %.1f s%n", what, console.secondsSinceStart());
    }
}
