package dev.hyperfresh.kvm;

/** KVM capabilities HyperFresh checks, with their KVM_CAP_* numbers. */
public enum Cap {
    IRQCHIP(0),
    USER_MEMORY(3),
    SET_TSS_ADDR(4),
    EXT_CPUID(7),
    NR_VCPUS(9),
    PIT(11),
    NR_MEMSLOTS(10),
    MP_STATE(14),
    SYNC_MMU(16),
    IRQ_ROUTING(25),
    SET_IDENTITY_MAP_ADDR(37),
    ADJUST_CLOCK(39),
    VCPU_EVENTS(41),
    PIT2(33),
    PIT_STATE2(35),
    IRQFD(32),
    DEBUGREGS(50),
    XSAVE(55),
    XCRS(56),
    TSC_CONTROL(60),
    GET_TSC_KHZ(61),
    MAX_VCPUS(66),
    SYNC_REGS(74),
    KVMCLOCK_CTRL(76),
    IMMEDIATE_EXIT(136),
    MANUAL_DIRTY_LOG_PROTECT2(168),
    XSAVE2(208),
    DIRTY_LOG_RING(192),
    PRE_FAULT_MEMORY(236);

    private final int number;

    Cap(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    public String kernelName() {
        return "KVM_CAP_" + name();
    }
}
