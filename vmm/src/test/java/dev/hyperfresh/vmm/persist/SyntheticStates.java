package dev.hyperfresh.vmm.persist;

import dev.hyperfresh.kvm.ClockData;
import dev.hyperfresh.kvm.Cpuid;
import dev.hyperfresh.kvm.CpuidEntry;
import dev.hyperfresh.kvm.DebugRegs;
import dev.hyperfresh.kvm.IrqChip;
import dev.hyperfresh.kvm.Lapic;
import dev.hyperfresh.kvm.MpState;
import dev.hyperfresh.kvm.Msrs;
import dev.hyperfresh.kvm.PitState;
import dev.hyperfresh.kvm.Regs;
import dev.hyperfresh.kvm.Sregs;
import dev.hyperfresh.kvm.VcpuEvents;
import dev.hyperfresh.kvm.Xcrs;
import dev.hyperfresh.kvm.Xsave;
import dev.hyperfresh.kvm.snapshot.SaveableMsrs;
import dev.hyperfresh.kvm.snapshot.VcpuSnapshot;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random but well-formed state of the right sizes: the codec carries bytes, it needs no real KVM state. Shared in
 * vmm's test-jar with bench's {@code CutoverBench}, which encodes these instead of a KVM's.
 */
public final class SyntheticStates {
    private final Random random;

    public SyntheticStates(long seed) {
        this.random = new Random(seed);
    }

    public VcpuSnapshot vcpu(int id, int xsaveSize) {
        List<CpuidEntry> leaves = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            leaves.add(new CpuidEntry(random.nextInt(), random.nextInt(), random.nextInt(2), random.nextInt(),
                    random.nextInt(), random.nextInt(), random.nextInt()));
        }
        int[] indices = new int[7];
        long[] values = new long[7];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = random.nextInt();
            values[i] = random.nextLong();
        }
        indices[0] = SaveableMsrs.IA32_TSC;   // a real vCPU's always: the handover advances it
        MpState[] mpStates = MpState.values();
        return new VcpuSnapshot(id, mpStates[random.nextInt(mpStates.length)], new Regs(bytes(Regs.SIZE)),
                new Sregs(bytes(Sregs.SIZE)), new Xsave(bytes(xsaveSize)), new Xcrs(bytes(Xcrs.SIZE)),
                new DebugRegs(bytes(DebugRegs.SIZE)), new Lapic(bytes(Lapic.SIZE)), 1_000_000 + random.nextInt(4_000_000),
                new Cpuid(leaves), new Msrs(indices, values), new VcpuEvents(bytes(VcpuEvents.SIZE)));
    }

    public VmSnapshot vm() {
        return new VmSnapshot(new PitState(bytes(PitState.SIZE)), new ClockData(bytes(ClockData.SIZE)),
                new IrqChip(bytes(IrqChip.SIZE)), new IrqChip(bytes(IrqChip.SIZE)), new IrqChip(bytes(IrqChip.SIZE)));
    }

    public VmState vmState(String name, int vcpus) {
        List<VcpuSnapshot> list = new ArrayList<>();
        for (int i = 0; i < vcpus; i++) {
            list.add(vcpu(i, Xsave.MIN_SIZE));
        }
        Map<String, byte[]> devices = new LinkedHashMap<>();
        devices.put("serial0", bytes(37));
        devices.put("debugcon", new byte[0]);
        devices.put("virtio-blk@0", bytes(900));
        return new VmState(name, vm(), list, devices);
    }

    public byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
