package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.Translation;
import dev.hyperfresh.kvm.Vcpu;
import dev.hyperfresh.vmm.memory.GuestMemory;
import dev.hyperfresh.vmm.vm.BreakpointDelivery.Undeliverable;

/** Guest linear memory as one vCPU sees it now: KVM_TRANSLATE page by page, then guest RAM. */
final class VcpuLinearMemory implements BreakpointDelivery.LinearMemory {
    private static final int PAGE = 4096;
    private final Vcpu vcpu;
    private final GuestMemory memory;

    VcpuLinearMemory(Vcpu vcpu, GuestMemory memory) {
        this.vcpu = vcpu;
        this.memory = memory;
    }

    @Override
    public byte[] read(long linear, int length) throws Undeliverable {
        byte[] out = new byte[length];
        for (int done = 0; done < length; ) {
            int n = chunk(linear + done, length - done);
            System.arraycopy(ram(physical(linear + done, false), n, null), 0, out, done, n);
            done += n;
        }
        return out;
    }

    @Override
    public void write(long linear, byte[] data) throws Undeliverable {
        for (int done = 0; done < data.length; ) {
            int n = chunk(linear + done, data.length - done);
            byte[] part = new byte[n];
            System.arraycopy(data, done, part, 0, n);
            ram(physical(linear + done, true), n, part);
            done += n;
        }
    }

    private static int chunk(long linear, int left) {
        return (int) Math.min(left, PAGE - (linear & (PAGE - 1)));
    }

    private long physical(long linear, boolean write) throws Undeliverable {
        Translation t = vcpu.translate(linear);
        if (!t.valid()) {
            throw new Undeliverable(String.format("linear 0x%x is not mapped", linear));
        }
        if (write && !t.writeable()) {
            throw new Undeliverable(String.format("linear 0x%x is read-only (the stack for the frame)", linear));
        }
        return t.physical();
    }

    /** Reads {@code n} bytes at {@code gpa}, or writes {@code data} there when given. */
    private byte[] ram(long gpa, int n, byte[] data) throws Undeliverable {
        try {
            if (data == null) {
                return memory.read(gpa, n);
            }
            memory.write(gpa, data);
            return data;
        } catch (IllegalArgumentException notRam) {
            throw new Undeliverable(notRam.getMessage());
        }
    }
}
