package dev.hyperfresh.kvm;

/** struct kvm_irqchip: the state of one in-kernel interrupt controller, selected by {@link #chipId()}. */
public final class IrqChip extends KvmStruct<IrqChip> {
    public static final int SIZE = 520;
    public static final int PIC_MASTER = 0, PIC_SLAVE = 1, IOAPIC = 2;

    public IrqChip(byte[] bytes) {
        super(bytes, SIZE);
    }

    @Override
    protected IrqChip wrap(byte[] bytes) {
        return new IrqChip(bytes);
    }

    public int chipId() {
        return u32(0);
    }
}
