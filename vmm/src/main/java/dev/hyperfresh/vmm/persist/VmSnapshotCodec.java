package dev.hyperfresh.vmm.persist;

import dev.hyperfresh.kvm.ClockData;
import dev.hyperfresh.kvm.IrqChip;
import dev.hyperfresh.kvm.PitState;
import dev.hyperfresh.kvm.snapshot.VmSnapshot;
import java.nio.ByteBuffer;

/**
 * The bytes of one {@link VmSnapshot}: u16 {@link VmSnapshot#FORMAT_VERSION}, then PIT, clock, PIC master, PIC
 * slave and IOAPIC, each as u32 length + the exact kernel struct bytes.
 */
public final class VmSnapshotCodec {
    private VmSnapshotCodec() {
    }

    public static byte[] encode(VmSnapshot s) {
        StateOutput out = new StateOutput();
        write(out, s);
        return out.toByteArray();
    }

    public static VmSnapshot decode(byte[] bytes) {
        StateInput in = new StateInput(ByteBuffer.wrap(bytes));
        VmSnapshot s = read(in);
        in.expectEnd("VM-wide state");
        return s;
    }

    static void write(StateOutput out, VmSnapshot s) {
        out.u16(VmSnapshot.FORMAT_VERSION).blob(s.pit().toBytes()).blob(s.clock().toBytes())
                .blob(s.picMaster().toBytes()).blob(s.picSlave().toBytes()).blob(s.ioapic().toBytes());
    }

    static VmSnapshot read(StateInput in) {
        int version = in.u16("VM-wide state format version");
        if (version != VmSnapshot.FORMAT_VERSION) {
            throw new StateFormatException("VM-wide state format " + version + " is not one this reader knows (it"
                    + " reads " + VmSnapshot.FORMAT_VERSION + ")");
        }
        return new VmSnapshot(new PitState(KernelStructs.exact(in, "PIT state", PitState.SIZE)),
                new ClockData(KernelStructs.exact(in, "clock data", ClockData.SIZE)),
                new IrqChip(KernelStructs.exact(in, "PIC master", IrqChip.SIZE)),
                new IrqChip(KernelStructs.exact(in, "PIC slave", IrqChip.SIZE)),
                new IrqChip(KernelStructs.exact(in, "IOAPIC", IrqChip.SIZE)));
    }
}
