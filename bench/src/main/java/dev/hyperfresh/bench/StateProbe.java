package dev.hyperfresh.bench;

import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Memfd;
import dev.hyperfresh.vmm.handover.Ledger;
import dev.hyperfresh.vmm.persist.StateCodec;
import dev.hyperfresh.vmm.persist.SyntheticStates;
import dev.hyperfresh.vmm.persist.VmState;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The saved state's way from one process to the other, KVM's save and restore left out: a 2-vCPU VM's state (random
 * but well-formed, of real sizes: 4096-byte XSAVE, MSRs, LAPIC, device bytes) encoded straight into the ledger
 * ({@link Ledger#writeStates}) on the old side; decoded where it lies ({@link Ledger#states},
 * {@link StateCodec#decode}) and the clock advanced ({@link VmState#advancedBy}) on the standby's. Floors: copying
 * the same number of bytes into, and out of, a shared mapping. This is the object path (snapshots, a standby of
 * another CPUID): a cutover saves and restores in place ({@code persist.InPlaceState}), which needs KVM's ioctls and
 * so is measured by the trace of a real replacement instead.
 */
final class StateProbe implements CutoverProbe {
    private static final long CAPACITY = 1 << 20;

    private final VmState state = new SyntheticStates(12).vmState("bench", 2);
    private final Ledger ledger = Ledger.create(CAPACITY);
    private final Fd floorFd = Memfd.create("bench-floor", CAPACITY, false);
    private final MappedByteBuffer floorMap;
    private final byte[] encoded = StateCodec.encode(state);
    /** Keeps the results alive, so that the JIT cannot drop the work that made them. */
    private Object sink;

    StateProbe() throws IOException {
        try (FileChannel c = FileChannel.open(Path.of("/proc/self/fd/" + floorFd.get()), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            floorMap = c.map(FileChannel.MapMode.READ_WRITE, 0, CAPACITY);
        }
    }

    int stateBytes() {
        return encoded.length;
    }

    @Override
    public List<Row> rows() {
        String n = encoded.length + " B";
        return List.of(
                new Row(30, "encode into the ledger (Ledger.writeStates, 2 vCPUs)", "MappedByteBuffer.put of " + n,
                        false),
                new Row(80, "decode in place + clock advance (StateCodec.decode, VmState.advancedBy)",
                        "MappedByteBuffer.get of " + n + " into a new array", false));
    }

    @Override
    public void round(long[] real, long[] floor) {
        long t0 = System.nanoTime();
        ledger.writeStates(List.of(state), t0);
        long t1 = System.nanoTime();
        VmState decoded = StateCodec.decode(ledger.states().get(0)).advancedBy(t1 - t0);
        long t2 = System.nanoTime();
        sink = decoded;
        real[0] = t1 - t0;
        real[1] = t2 - t1;

        long f0 = System.nanoTime();
        floorMap.put(0, encoded);
        long f1 = System.nanoTime();
        byte[] back = new byte[encoded.length];
        floorMap.get(0, back);
        long f2 = System.nanoTime();
        sink = back;
        floor[0] = f1 - f0;
        floor[1] = f2 - f1;
    }

    @Override
    public void close() {
        ledger.close();
        floorFd.close();
        sink = null;
    }
}
