package dev.hyperfresh.vmm.handover;

import dev.hyperfresh.sys.CpuAffinity;
import dev.hyperfresh.sys.Fd;
import dev.hyperfresh.sys.Futex;
import dev.hyperfresh.sys.Memfd;
import dev.hyperfresh.sys.MonotonicClock;
import dev.hyperfresh.sys.Sys;
import dev.hyperfresh.vmm.persist.EncodableState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jnr.ffi.Pointer;

/**
 * The handover's single source of truth, in a small memfd both instances map: one ownership word changed only by
 * compare-and-swap, and the saved state beside it. Because it lives in shared memory rather than in messages,
 * whichever instance survives a crash reads the same answer to "who may run the VMs" (docs/HANDOVER.md).
 *
 * <p>Public only for bench's {@code CutoverBench}, which times the offer and the state's way through here with
 * this very class; nothing outside this package takes part in a handover.
 */
public final class Ledger implements AutoCloseable {
    /** The ownership word. Only the transitions in docs/HANDOVER.md are ever attempted. */
    public enum Owner {
        /** The old instance runs (or may resume) the VMs. */
        OLD,
        /** The old instance has paused, saved the state here, and promised not to resume unless it revokes. */
        OFFERED,
        /** The new instance has taken the offer; it has not entered KVM_RUN yet. */
        CLAIMED,
        /** The new instance runs the VMs: the commit point has passed. */
        RUNNING,
        /** The old instance withdrew its offer (or a claim whose claimant died before running) and resumed. */
        REVOKED
    }

    static final int HEADER_BYTES = 4096;
    private static final VarHandle WORD = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final int OWNER = 0;
    private static final int PAUSED_AT = 8;
    private static final int STATE_BYTES = 16;
    private static final int STATE_COUNT = 24;
    /** How many bytes of the first VM's state are final ({@link EncodableState.Written}), released as they are. */
    private static final int FIRST_STATE_WRITTEN = 32;
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final int FIRST_STATE = HEADER_BYTES + 4;
    /** Set by a standby as it starts spinning for the offer. */
    private static final int STANDBY_SPINNING = 40;
    /** One CLOCK_MONOTONIC stamp per {@link CutoverStep}, 0 while not reached. */
    private static final int TRACE = 64;
    /** The CPUs the standby keeps for the guests' vCPUs ({@code CpuSplit}), a cpu_set_t; none: 0. */
    private static final int GUEST_CPUS = 1024;

    private final Fd fd;
    private final MappedByteBuffer map;
    /** The {@link #STANDBY_SPINNING} word, which the old instance sleeps on (a futex) until the standby sets it. */
    private final Pointer spinningWord;
    private final EncodableState.Written firstStateWritten = new EncodableState.Written() {
        @Override
        public void upTo(int bytes) {
            if (firstStateWritten() == 0) {
                stamp(CutoverStep.FIRST_VCPU_SAVED);
            }
            LONG.setRelease(map, FIRST_STATE_WRITTEN, (long) bytes);
        }
    };

    private Ledger(Fd fd, MappedByteBuffer map) {
        this.fd = fd;
        this.map = map;
        this.spinningWord = Sys.pointer(map).slice(STANDBY_SPINNING);
    }

    /** A fresh ledger (owner OLD) with room for {@code stateCapacity} bytes of saved state. */
    public static Ledger create(long stateCapacity) {
        return open(Memfd.create("hfvisor-handover-ledger", HEADER_BYTES + stateCapacity, false));
    }

    /** Maps a ledger received from the other instance; takes ownership of {@code fd}. */
    static Ledger open(Fd fd) {
        try (FileChannel channel = FileChannel.open(Path.of("/proc/self/fd/" + fd.get()), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size());
            map.load();   // every page faulted in now: a first touch inside the blackout costs a page fault per page
            return new Ledger(fd, map);
        } catch (IOException e) {
            fd.close();
            throw new UncheckedIOException("mapping the handover ledger", e);
        }
    }

    Fd fd() {
        return fd;
    }

    public Owner owner() {
        return Owner.values()[(int) WORD.getVolatile(map, OWNER)];
    }

    /** Atomically moves the ownership word from {@code from} to {@code to}; false if it was not {@code from}. */
    public boolean transition(Owner from, Owner to) {
        return WORD.compareAndSet(map, OWNER, from.ordinal(), to.ordinal());
    }

    /**
     * Writes the states straight into the ledger, before the offer is made (the offer's CAS publishes them): a paused
     * VM's ({@link dev.hyperfresh.vmm.persist.InPlaceState}) by the very ioctls that save it, so inside the blackout
     * no copy of them exists anywhere else.
     */
    public void writeStates(List<? extends EncodableState> states, long pausedAtNanos) {
        int at = HEADER_BYTES;
        map.putLong(PAUSED_AT, pausedAtNanos);   // before the first release below: a reader restores with it
        LONG.setRelease(map, FIRST_STATE_WRITTEN, 0L);
        try {
            for (int i = 0; i < states.size(); i++) {   // a plain loop: this runs inside the blackout
                EncodableState.Written done = i == 0 ? firstStateWritten : EncodableState.Written.NOBODY;
                int length = states.get(i).encodeInto(map.slice(at + 4, map.capacity() - at - 4), done);
                map.putInt(at, length);
                at += 4 + length;
            }
        } catch (BufferOverflowException | IndexOutOfBoundsException e) {
            throw new IllegalStateException("the saved state does not fit the handover ledger ("
                    + (map.capacity() - HEADER_BYTES) + " bytes)");
        }
        map.putLong(STATE_BYTES, at - HEADER_BYTES);
        map.putInt(STATE_COUNT, states.size());
    }

    /** The first VM's state region (from its first byte), while it is being written: see {@link #firstStateWritten()}. */
    public ByteBuffer firstState() {
        return map.slice(FIRST_STATE, map.capacity() - FIRST_STATE).asReadOnlyBuffer();
    }

    /** Sets the standby's spinning mark and wakes the old instance, asleep in {@link #awaitStandbySpinning}. */
    void markStandbySpinning() {
        WORD.setRelease(map, STANDBY_SPINNING, 1);
        Futex.wake(spinningWord, 1);
    }

    boolean standbySpinning() {
        return (int) WORD.getAcquire(map, STANDBY_SPINNING) != 0;
    }

    /** Sleeps until the standby marks that it spins, {@code timeoutNanos} at most (also returns at once if it has). */
    void awaitStandbySpinning(long timeoutNanos) {
        Futex.await(spinningWord, 0, timeoutNanos);
    }

    /** How many bytes of {@link #firstState()} are final so far (acquired: what lies there may be read). */
    public int firstStateWritten() {
        return (int) (long) LONG.getAcquire(map, FIRST_STATE_WRITTEN);
    }

    /** The saved states where they lie: views of the mapping, to decode in place while the ledger is open. */
    public List<ByteBuffer> states() {
        int count = map.getInt(STATE_COUNT);
        List<ByteBuffer> out = new ArrayList<>(count);
        int at = HEADER_BYTES;
        for (int i = 0; i < count; i++) {
            int length = map.getInt(at);
            out.add(map.slice(at + 4, length).asReadOnlyBuffer());
            at += 4 + length;
        }
        return out;
    }

    /** CLOCK_MONOTONIC of the guest's last instruction on the old instance. */
    long pausedAtNanos() {
        return map.getLong(PAUSED_AT);
    }

    /** Stamps {@code step} with {@code nanos}; each side stamps only its own steps. */
    void stamp(CutoverStep step, long nanos) {
        map.putLong(TRACE + 8 * step.ordinal(), nanos);
    }

    void stamp(CutoverStep step) {
        stamp(step, MonotonicClock.nanos());
    }

    long stamped(CutoverStep step) {
        return map.getLong(TRACE + 8 * step.ordinal());
    }

    /**
     * The steps reached so far in the order they happened, as microseconds since the guest's last instruction on
     * the old instance (negative before it); empty when the VMs never parked.
     */
    Map<String, Long> trace() {
        long zero = stamped(CutoverStep.PARKED);
        Map<String, Long> out = new LinkedHashMap<>();
        if (zero == 0) {
            return out;
        }
        List<CutoverStep> reached = new ArrayList<>();
        for (CutoverStep step : CutoverStep.values()) {
            if (stamped(step) != 0) {
                reached.add(step);
            }
        }
        reached.sort(Comparator.comparingLong(this::stamped));   // stable: steps stamped alike keep the enum's order
        for (CutoverStep step : reached) {
            out.put(step.wireName(), Math.floorDiv(stamped(step) - zero, 1000));
        }
        return out;
    }

    /** Written by the standby before anything is offered, read by the old instance once the VMs run there. */
    void guestCpus(BitSet cpus) {
        long[] words = CpuAffinity.cpuSet(cpus);
        for (int i = 0; i < words.length; i++) {
            map.putLong(GUEST_CPUS + 8 * i, words[i]);
        }
    }

    BitSet guestCpus() {
        long[] words = new long[CpuAffinity.CPU_SET_WORDS];
        for (int i = 0; i < words.length; i++) {
            words[i] = map.getLong(GUEST_CPUS + 8 * i);
        }
        return BitSet.valueOf(words);
    }

    long stateBytes() {
        return map.getLong(STATE_BYTES);
    }

    @Override
    public void close() {
        fd.close();
    }
}
