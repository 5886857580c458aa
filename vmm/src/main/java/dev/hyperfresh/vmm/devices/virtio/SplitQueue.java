package dev.hyperfresh.vmm.devices.virtio;

import dev.hyperfresh.vmm.memory.GuestMemory;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * A virtqueue in the split layout (virtio 1.x, section 2.7): where the driver put its three rings, and how far the
 * device has got. The device's position ({@code nextAvail}, {@code nextUsed}) is all the state it keeps beyond
 * the addresses; the rings themselves are guest memory, which stays where it is in a handover.
 */
final class SplitQueue {
    static final int MAX_SIZE = 256;
    static final int DESC_NEXT = 1, DESC_WRITE = 2, DESC_INDIRECT = 4;
    private static final int AVAIL_NO_INTERRUPT = 1;

    int size = MAX_SIZE;
    boolean ready;
    long desc, avail, used;
    int msixVector = 0xffff;
    int nextAvail, nextUsed;

    /** One buffer of a chain: guest-physical address, length, whether the device writes it. */
    record Segment(long gpa, int length, boolean writable) {
    }

    /** A chain the driver made available: its head index (returned in the used ring) and its buffers. */
    record Chain(int head, List<Segment> segments) {
    }

    /** Thrown for a ring the driver laid out wrongly: the device stops serving until it is reset. */
    static final class Malformed extends RuntimeException {
        Malformed(String why) {
            super(why);
        }
    }

    void reset() {
        size = MAX_SIZE;
        ready = false;
        desc = avail = used = 0;
        msixVector = 0xffff;
        nextAvail = nextUsed = 0;
    }

    /** Takes over a saved queue's addresses and position. */
    void restore(SplitQueue saved) {
        size = saved.size;
        ready = saved.ready;
        desc = saved.desc;
        avail = saved.avail;
        used = saved.used;
        msixVector = saved.msixVector;
        nextAvail = saved.nextAvail;
        nextUsed = saved.nextUsed;
    }

    /** Whether the driver made a chain available that the device has not taken yet. */
    boolean hasAvailable(GuestMemory memory) {
        return u16(memory, avail + 2) != nextAvail;
    }

    /** Puts the chain {@link #next} returned last back, for the next call (the device had nothing to put in it). */
    void giveBack() {
        nextAvail = (nextAvail - 1) & 0xffff;
    }

    /** The next chain the driver made available, or null when the device has seen them all. */
    Chain next(GuestMemory memory) {
        int availIdx = u16(memory, avail + 2);
        VarHandle.acquireFence();   // the ring entries are read after the index that published them
        if (availIdx == nextAvail) {
            return null;
        }
        int head = u16(memory, avail + 4 + 2L * (nextAvail % size));
        nextAvail = (nextAvail + 1) & 0xffff;
        if (head >= size) {
            throw new Malformed("descriptor head " + head + " beyond the queue's " + size);
        }
        List<Segment> segments = new ArrayList<>(3);
        int index = head;
        for (int seen = 0; ; seen++) {
            if (seen == size) {
                throw new Malformed("descriptor chain from " + head + " loops");
            }
            long d = desc + 16L * index;
            var p = memory.at(d, 16);
            int flags = p.getShort(12) & 0xffff;
            if ((flags & DESC_INDIRECT) != 0) {
                throw new Malformed("indirect descriptor, a feature not offered");
            }
            segments.add(new Segment(p.getLong(0), p.getInt(8), (flags & DESC_WRITE) != 0));
            if ((flags & DESC_NEXT) == 0) {
                return new Chain(head, segments);
            }
            index = p.getShort(14) & 0xffff;
            if (index >= size) {
                throw new Malformed("descriptor " + index + " beyond the queue's " + size);
            }
        }
    }

    /** Returns a chain to the driver with the number of bytes the device wrote into it. */
    void putUsed(GuestMemory memory, int head, int written) {
        long slot = used + 4 + 8L * (nextUsed % size);
        var entry = memory.at(slot, 8);
        entry.putInt(0, head);
        entry.putInt(4, written);
        nextUsed = (nextUsed + 1) & 0xffff;
        VarHandle.releaseFence();   // the entry is in place before the index that publishes it
        memory.at(used + 2, 2).putShort(0, (short) nextUsed);
        memory.deviceWrote(slot, 8);
        memory.deviceWrote(used + 2, 2);
    }

    /** Whether the driver asked not to be interrupted for used buffers (VIRTQ_AVAIL_F_NO_INTERRUPT). */
    boolean interruptSuppressed(GuestMemory memory) {
        return (u16(memory, avail) & AVAIL_NO_INTERRUPT) != 0;
    }

    private static int u16(GuestMemory memory, long gpa) {
        return memory.at(gpa, 2).getShort(0) & 0xffff;
    }
}
