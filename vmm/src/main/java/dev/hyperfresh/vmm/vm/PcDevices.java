package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.Vm;
import dev.hyperfresh.vmm.devices.AcpiPm;
import dev.hyperfresh.vmm.devices.CmosRtc;
import dev.hyperfresh.vmm.devices.I8042;
import dev.hyperfresh.vmm.devices.InterruptLine;
import dev.hyperfresh.vmm.devices.LineSplitter;
import dev.hyperfresh.vmm.devices.PendingLine;
import dev.hyperfresh.vmm.devices.Uart8250;
import java.util.function.Consumer;

/**
 * The legacy PC devices a Linux guest needs on hfvisor: COM1 (16550A at 0x3f8, IRQ 4) as its console, the PS/2
 * controller (its reset line is how {@code reboot=k} restarts), the CMOS clock and ACPI's power management
 * registers (the guest's power-off, the operator's power button; the loader's ACPI tables describe them). Every
 * other legacy port Linux probes reads as all ones (see IoBus). Their state moves with the VM in a handover.
 */
public record PcDevices(Uart8250 com1, I8042 i8042, CmosRtc cmos, AcpiPm acpi) {
    public static final String COM1 = "com1", COM1_LINE = "com1-line", I8042_STATE = "i8042", CMOS = "cmos";
    /** A VM from an hfvisor before ACPI arrives without this state: its device then stays as it was made. */
    public static final String ACPI_PM = "acpi-pm";
    private static final int COM1_LINE_MAGIC = 0x434c494e; // "CLIN"

    /**
     * As {@link #attach(VirtualMachine, Consumer)}, COM1's text lines going to the VM's console listeners; the line
     * COM1 is in the middle of moves with the VM.
     */
    public static PcDevices attach(VirtualMachine vm) {
        LineSplitter lines = new LineSplitter(vm::consoleLine);
        PcDevices devices = attach(vm, lines);
        vm.addDeviceState(COM1_LINE, new PendingLine(lines, "COM1 console line", COM1_LINE_MAGIC));
        return devices;
    }

    /** Adds the devices to a created VM; the guest's reset request resets it ({@link VirtualMachine#guestReset}). */
    public static PcDevices attach(VirtualMachine vm, Consumer<byte[]> console) {
        Vm kvmVm = vm.kvmVm();
        Uart8250 com1 = Uart8250.com1(high -> kvmVm.irqLine(Uart8250.COM1_IRQ, high), console);
        vm.addStatefulDevice(COM1, com1.base(), Uart8250.PORTS, com1);
        I8042 i8042 = new I8042(high -> kvmVm.irqLine(I8042.KEYBOARD_IRQ, high),
                high -> kvmVm.irqLine(I8042.AUX_IRQ, high),
                () -> vm.guestReset("through the i8042"));
        vm.addStatefulDevice(I8042_STATE, I8042.DATA_PORT, 1, i8042);
        vm.addDevice(I8042.COMMAND_PORT, 1, i8042);
        CmosRtc cmos = new CmosRtc();
        vm.addStatefulDevice(CMOS, CmosRtc.INDEX_PORT, 2, cmos);
        AcpiPm acpi = attachAcpi(vm, high -> kvmVm.irqLine(AcpiPm.SCI_IRQ, high));
        return new PcDevices(com1, i8042, cmos, acpi);
    }

    /**
     * ACPI's power management registers, the VM's power button and its way to power off (S5); {@code sci} is the
     * interrupt a press raises where the guest enabled it.
     */
    static AcpiPm attachAcpi(VirtualMachine vm, InterruptLine sci) {
        AcpiPm acpi = new AcpiPm(sci, () -> vm.powerOff(0, "guest powered off (ACPI sleep state S5)"));
        vm.addStatefulDevice(ACPI_PM, AcpiPm.EVENT_BLOCK, AcpiPm.PORTS, acpi);
        vm.powerButton(acpi);
        return acpi;
    }
}
