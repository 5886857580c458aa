package dev.hyperfresh.kvm.snapshot;

import dev.hyperfresh.kvm.ClockData;
import dev.hyperfresh.kvm.IrqChip;
import dev.hyperfresh.kvm.PitState;
import dev.hyperfresh.kvm.Vm;

/** The VM-wide in-kernel state: PIT, kvmclock and the three interrupt controllers. */
public record VmSnapshot(PitState pit, ClockData clock, IrqChip picMaster, IrqChip picSlave, IrqChip ioapic) {
    public static final int FORMAT_VERSION = 1;

    public static VmSnapshot save(Vm vm) {
        PitState pit = vm.getPit2();
        ClockData clock = vm.getClock();
        return new VmSnapshot(pit, clock, vm.getIrqchip(IrqChip.PIC_MASTER), vm.getIrqchip(IrqChip.PIC_SLAVE),
                vm.getIrqchip(IrqChip.IOAPIC));
    }

    /** Restores after every vCPU has been restored. */
    public void restoreInto(Vm vm) {
        vm.setPit2(pit);
        vm.setClock(clock);
        vm.setIrqchip(picMaster);
        vm.setIrqchip(picSlave);
        vm.setIrqchip(ioapic);
    }
}
