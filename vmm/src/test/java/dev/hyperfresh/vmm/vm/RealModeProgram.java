package dev.hyperfresh.vmm.vm;

import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Segment;
import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.vmm.boot.BootLoader;
import dev.hyperfresh.vmm.boot.BootState;
import dev.hyperfresh.vmm.memory.GuestMemory;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A few bytes of real-mode code at 0x1000 (as the testkit's TinyGuest runs), plus data placed in RAM, booted by a
 * real hfvisor VM: the smallest guest that exercises one exit path of VcpuLoop and its devices.
 */
final class RealModeProgram implements BootLoader {
    static final long CODE = 0x1000;
    private final byte[] code;
    private final Map<Long, byte[]> data = new LinkedHashMap<>();

    RealModeProgram(int... code) {
        this.code = bytes(code);
    }

    RealModeProgram with(long gpa, byte[] bytes) {
        data.put(gpa, bytes);
        return this;
    }

    @Override
    public BootState load(GuestMemory memory, int vcpus) {
        memory.write(CODE, code);
        data.forEach(memory::write);
        return BootState.of(Regs.initial().withU64(Regs.RIP, CODE), s -> {
            Segment cs = s.segment(Sregs.CS);
            return s.withSegment(Sregs.CS, new Segment(0, cs.limit(), 0, cs.type(), cs.present(), cs.dpl(),
                    cs.db(), cs.s(), cs.l(), cs.g(), cs.avl(), cs.unusable()));
        });
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
