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

    /** The same state with kvmclock moved on by {@code nanos}, so guest time covers a pause instead of hiding it. */
    public VmSnapshot withClockAdvancedBy(long nanos) {
        return new VmSnapshot(pit, clock.withU64(0, clock.clock() + nanos), picMaster, picSlave, ioapic);
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
