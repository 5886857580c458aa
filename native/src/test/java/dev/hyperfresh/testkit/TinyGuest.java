package dev.hyperfresh.testkit;

import dev.hyperfresh.kvm.Kvm;
import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Segment;
import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.kvm.Vcpu;
import dev.hyperfresh.kvm.Vm;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Mapping;
import dev.hyperfresh.sys.Memfd;

/**
 * A one-vCPU VM running a few bytes of real-mode code at 0x1000, guest RAM in a memfd: the smallest real guest
 * the binding tests need. With {@code irqchip} it also has the in-kernel PIC/IOAPIC/LAPIC and PIT.
 */
public final class TinyGuest implements AutoCloseable {
    public static final long CODE_ADDRESS = 0x1000;
    public static final long RAM_BYTES = 1 << 20;

    public final Kvm kvm;
    public final Vm vm;
    public final Fd ram;
    public final Mapping mapping;
    public final Vcpu vcpu;

    public TinyGuest(byte[] code, boolean irqchip) {
        kvm = Kvm.open();
        vm = kvm.createVm();
        if (irqchip) {
            vm.setTssAddress(0xfffbd000L);
            vm.setIdentityMapAddress(0xfffbc000L);
            vm.createIrqchip();
            vm.createPit2();
        }
        ram = Memfd.create("tiny-guest", RAM_BYTES, false);
        mapping = Mapping.shared(ram, RAM_BYTES);
        mapping.pointer().put(CODE_ADDRESS, code, 0, code.length);
        vm.setUserMemoryRegion(0, 0, 0, RAM_BYTES, mapping.address());
        vcpu = vm.createVcpu(0);
        vcpu.setCpuid(kvm.supportedCpuid());
        Sregs s = vcpu.getSregs();
        Segment cs = s.segment(Sregs.CS);
        vcpu.setSregs(s.withSegment(Sregs.CS, new Segment(0, cs.limit(), 0, cs.type(), cs.present(), cs.dpl(),
                cs.db(), cs.s(), cs.l(), cs.g(), cs.avl(), cs.unusable())));
        vcpu.setRegs(Regs.initial().withU64(Regs.RIP, CODE_ADDRESS));
    }

    @Override
    public void close() {
        vcpu.close();
        mapping.close();
        ram.close();
        vm.close();
        kvm.close();
    }
}
