package dev.hyperfresh.vmm.boot;

import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Segment;
import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.vmm.memory.GuestMemory;

/**
 * The smallest guest that really runs: {@code hlt; jmp $-1} in real mode at 0x1000, on every vCPU, each runnable
 * with its local APIC enabled like a running guest's (so that a save takes the path it takes for one). KVM halts it
 * in the kernel, so a vCPU thread sits in KVM_RUN costing nothing until it is kicked — what a warm-up of the pause
 * and resume path needs (real mode runs natively on VMX, SVM and PVM).
 */
public final class HaltLoop implements BootLoader {
    private static final long ENTRY = 0x1000;
    private static final byte[] CODE = {(byte) 0xf4, (byte) 0xeb, (byte) 0xfd};

    @Override
    public BootState load(GuestMemory memory, int vcpus) {
        memory.write(ENTRY, CODE);
        Segment cs = new Segment(0, 0xffff, 0, 0xb, true, 0, false, true, false, false, false, false);
        return BootState.onEveryVcpu(Regs.initial().withU64(Regs.RIP, ENTRY), s -> s.withSegment(Sregs.CS, cs));
    }
}
