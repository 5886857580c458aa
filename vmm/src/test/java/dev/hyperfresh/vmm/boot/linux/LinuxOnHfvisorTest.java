package dev.hyperfresh.vmm.boot.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.testkit.Prerequisite;
import dev.hyperfresh.testkit.NotOnPvm;
import dev.hyperfresh.testkit.RequiresKvm;
import dev.hyperfresh.vmm.control.InstanceInfo;
import dev.hyperfresh.vmm.devices.DebugConsole;
import dev.hyperfresh.vmm.persist.VmState;
import dev.hyperfresh.vmm.vm.PcDevices;
import dev.hyperfresh.vmm.vm.VirtualMachine;
import dev.hyperfresh.vmm.vm.VmConfig;
import dev.hyperfresh.vmm.vm.VmExit;
import dev.hyperfresh.vmm.vm.VmStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Debian's kernel on hfvisor, judged by its serial console. Uses guests/linux's build (kernel + busybox
 * initramfs) when fetch-and-build.sh has run; otherwise /boot's kernel alone, which gets as far as not finding a
 * root filesystem and, with panic=-1 reboot=k, asking the PS/2 controller for a reset, which ends the VM. The
 * devices are hfvisor's own PC set ({@link PcDevices}), as {@code hfvisor --vm guest=linux} builds it. Runs are
 * counted in milestones, not seconds: on a nested (emulated) KVM everything is slow. Once userspace runs, the
 * whole VM state (with the PC devices') is saved and restored into the running VM, which must carry on; then the
 * operator presses its ACPI power button, and the guest powers the VM off through ACPI (S5).
 */
@RequiresKvm
@NotOnPvm
class LinuxOnHfvisorTest {
    private static final Duration PATIENCE = Duration.ofMinutes(4);
    /** A PVM-backed KVM (this project's own machines): no int3 in 64-bit guests. */
    private static final boolean PVM = java.nio.file.Files.exists(Path.of("/sys/module/kvm_pvm"));

    @Test
    void bootsOnTwoVcpusWithTheConsoleOnCom1() throws Exception {
        LinuxGuestBuild build = LinuxGuestBuild.standard();
        Path kernel = build.kernel();
        boolean userspace = build.isBuilt();
        if (!userspace) {
            Optional<Path> installed = TestKernels.debianKernel();
            Prerequisite.require(installed.isPresent() ? Optional.empty()
                    : build.missing().map(why -> why + "; and " + TestKernels.NO_DEBIAN_KERNEL));
            kernel = installed.get();
        }
        SerialConsole console = new SerialConsole();
        LinuxLoader loader = new LinuxLoader(kernel, userspace ? build.initrd() : null, LinuxGuestBuild.CMDLINE);
        try (Kvm kvm = Kvm.open();
             VirtualMachine vm = VirtualMachine.create(kvm, new VmConfig("linux", 512L << 20, 2, false, loader,
                     "linux"))) {
            PcDevices.attach(vm, console);
            vm.start();

            console.await("Linux version \\S+", PATIENCE, vm);
            milestone(console, "kernel started (earlycon)");
            if (PVM) {
                // PVM reports a 64-bit guest's int3 as an emulation failure (shared/notes/this-platform.md): an
                // unmodified kernel ends at its int3 self-test, which hfvisor must report, not hang on.
                VmExit end = vm.exit().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                assertThat(end.message()).contains("KVM internal error");
                milestone(console, "stopped at the int3 self-test on PVM, reported with registers and code bytes");
                return;
            }
            console.await("ACPI: Using ACPI \\(MADT\\) for SMP configuration information", PATIENCE, vm);
            console.await("smpboot: Total of 2 processors activated", PATIENCE, vm);
            milestone(console, "both vCPUs up through ACPI's MADT");
            console.await("serial8250: ttyS0 at I/O 0x3f8 \\(irq = 4.*is a 16550A", PATIENCE, vm);
            milestone(console, "8250 driver found a 16550A on IRQ 4");
            if (!userspace) {
                console.await("VFS: Unable to mount root fs", PATIENCE, vm);
                VmExit end = vm.exit().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                assertThat(end.message()).contains("reset the machine (through the i8042)");
                milestone(console, "no root fs, panic, reset through the i8042");
                return;
            }
            console.await("LINUXBOOT kernel=\\S+ cpus=2", PATIENCE, vm);
            milestone(console, "userspace /init running");
            console.await(heartbeatAndMemcheck(2), PATIENCE, vm);
            milestone(console, "heartbeats and memcheck");

            vm.pause();
            VmState state = vm.saveState();
            assertThat(state.devices()).containsOnlyKeys(PcDevices.COM1, PcDevices.I8042_STATE, PcDevices.CMOS,
                    PcDevices.ACPI_PM, DebugConsole.STATE_NAME);
            vm.restoreState(state);
            vm.resume();
            console.await(heartbeatAndMemcheck(4), PATIENCE, vm);
            milestone(console, "saved and restored whole (vCPUs, irqchip, PIT, clock, COM1, i8042, CMOS, ACPI PM),"
                    + " running on");
            assertThat(console.text()).doesNotContain("memcheck FAIL", "Keylock active", "Kernel panic");

            console.await("LINUXACPI power_button=0", PATIENCE, vm);
            assertThat(vm.describe(false).powerButton()).isEqualTo(InstanceInfo.Vm.POWER_BUTTON_LISTENING);
            vm.pressPowerButton();
            console.await("LINUXPOWERBUTTON seq=\\d+", PATIENCE, vm);
            VmExit end = vm.exit().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(end.status()).isEqualTo(VmStatus.POWERED_OFF);
            assertThat(end.message()).contains("ACPI sleep state S5");
            milestone(console, "power button heard through ACPI's SCI, powered off through S5");
        }
    }

    /**
     * Heartbeat {@code seq} and then its memcheck line; a kernel message may come between the two (the console is
     * shared with printk).
     */
    private static String heartbeatAndMemcheck(int seq) {
        return "(?s)LINUXHB seq=" + seq + " .*?memcheck ok seq=" + seq + "\\b";
    }

    private static void milestone(SerialConsole console, String what) {
        System.out.printf("%nlinux on hfvisor: %s after %.1f s%n", what, console.secondsSinceStart());
    }
}
