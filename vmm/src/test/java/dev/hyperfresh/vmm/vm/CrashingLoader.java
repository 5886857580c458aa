package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.vmm.boot.BootLoader;
import dev.hyperfresh.vmm.boot.BootState;
import dev.hyperfresh.vmm.boot.MultibootLoader;
import dev.hyperfresh.vmm.memory.GuestMemory;

/** Loads hfguest but starts it at an instruction that faults with no IDT: #UD → #DF → triple fault. */
final class CrashingLoader implements BootLoader {
    private final byte[] image;

    CrashingLoader(byte[] image) {
        this.image = image;
    }

    @Override
    public BootState load(GuestMemory memory, int vcpus) {
        BootState normal = new MultibootLoader(image, "").load(memory, vcpus);
        memory.write(0x5000, new byte[] {0x0f, 0x0b}); // ud2
        return new BootState(normal.regs().withU64(Regs.RIP, 0x5000), normal.sregs(), normal.msrs(), normal.everyVcpu());
    }
}
