package dev.hyperfresh.vmm.devices.virtio;

import dev.hyperfresh.sys.ImageFile;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.vmm.devices.InterruptLine;
import dev.hyperfresh.vmm.memory.GuestMemory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A virtio block device (virtio 1.x, modern PCI transport, one request queue, legacy INTx) over a raw image file.
 * Requests are served on the vCPU thread whose notify exit announced them, before that thread runs the guest
 * again; since a vCPU parks only between exits, a paused VM has no request in flight, and what moves in a
 * handover is only the transport's registers and the queue's position (the rings and buffers are guest memory,
 * the image file is handed over open). A pause does not wait for a long queue: once one is requested the rest is
 * left in the ring and {@code deferred} gets the work to do, which the first vCPU to run again does (on this
 * instance after a rollback, on the new one after a handover, whose restore defers it too).
 */
public final class VirtioBlock extends VirtioPciDevice {
    static final int STATE_MAGIC = 0x56424c4b; // "VBLK"
    static final int STATE_VERSION = 1;
    static final long F_SEG_MAX = 1L << 2, F_RO = 1L << 5, F_FLUSH = 1L << 9;
    static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8;
    static final int S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
    static final int SEG_MAX = SplitQueue.MAX_SIZE - 2;
    private static final int ID_BYTES = 20;

    private final ImageFile image;
    private final boolean readOnly;
    private final BooleanSupplier pausing;
    private final Consumer<Runnable> deferred;
    private final Runnable serveLater = this::serveDeferred;   // made here: a restore, in the blackout, defers it
    private final byte[] id;

    /**
     * {@code bar} is where BAR 0 starts (the guest may move it); {@code irqLine} the IOAPIC input INTx reaches
     * (what the MP table routes it to); {@code pausing} says a pause is requested, {@code deferred} takes the
     * queue's service for the first vCPU that runs again.
     */
    public VirtioBlock(GuestMemory memory, ImageFile image, boolean readOnly, String serial, long bar, int irqLine,
                       InterruptLine irq, BooleanSupplier pausing, Consumer<Runnable> deferred) {
        super(memory, 2, 0x010000, 1, bar, irqLine, irq, STATE_MAGIC, STATE_VERSION, "virtio block device");
        this.pausing = pausing;
        this.deferred = deferred;
        this.image = image;
        this.readOnly = readOnly;
        byte[] s = serial.getBytes(StandardCharsets.US_ASCII);
        this.id = Arrays.copyOf(s, Math.min(s.length, ID_BYTES));
    }

    public ImageFile image() {
        return image;
    }

    public boolean readOnly() {
        return readOnly;
    }

    @Override
    protected long deviceFeatures() {
        return F_SEG_MAX | F_FLUSH | (readOnly ? F_RO : 0);
    }

    /** struct virtio_blk_config: capacity in sectors, then seg_max; the rest of what it could say is not offered. */
    @Override
    protected int configByte(int at) {
        if (at < 8) {
            return (int) ((image.size() / ImageFile.SECTOR) >>> (8 * at)) & 0xff;
        }
        if (at >= 12 && at < 16) {
            return (SEG_MAX >>> (8 * (at - 12))) & 0xff;
        }
        return 0;
    }

    @Override
    protected void queueNotified(int index) {
        serveQueue();
    }

    /** What the old instance's pause left in the ring. */
    @Override
    protected void restored() {
        deferred.accept(serveLater);
    }

    private void serveQueue() {
        SplitQueue queue = queue(0);
        if (!queue.ready || failed()) {
            return;
        }
        boolean served = false;
        try {
            while (true) {
                if (pausing.getAsBoolean()) {
                    deferred.accept(serveLater);
                    break;
                }
                SplitQueue.Chain chain = queue.next(memory);
                if (chain == null) {
                    break;
                }
                queue.putUsed(memory, chain.head(), serve(chain));
                served = true;
            }
        } catch (SplitQueue.Malformed | IllegalArgumentException e) {
            fail();
            return;
        }
        if (served) {
            interruptForUsed(queue);
        }
    }

    /** What a pause left in the queue, if anything (it serves nothing while another pause is requested). */
    public synchronized void serveDeferred() {
        serveQueue();
    }

    /** Serves one request; returns the bytes written into the driver's buffers (data read and the status byte). */
    private int serve(SplitQueue.Chain chain) {
        List<SplitQueue.Segment> s = chain.segments();
        SplitQueue.Segment header = s.get(0);
        SplitQueue.Segment last = s.get(s.size() - 1);
        if (s.size() < 2 || header.writable() || header.length() < 16 || !last.writable() || last.length() < 1) {
            throw new SplitQueue.Malformed("a block request needs a 16-byte header first and a status byte last");
        }
        var h = memory.at(header.gpa(), 16);
        int type = h.getInt(0);
        long sector = h.getLong(8);
        List<SplitQueue.Segment> data = new ArrayList<>(s.subList(1, s.size() - 1));
        if (last.length() > 1) {
            data.add(new SplitQueue.Segment(last.gpa(), last.length() - 1, true));
        }
        int written = 0;
        int result;
        try {
            switch (type) {
                case T_IN, T_OUT -> {
                    result = transfer(type == T_IN, sector, data);
                    if (result == S_OK && type == T_IN) {
                        written = data.stream().mapToInt(SplitQueue.Segment::length).sum();
                    }
                }
                case T_FLUSH -> {
                    if (!readOnly) {
                        image.flush();
                    }
                    result = S_OK;
                }
                case T_GET_ID -> {
                    if (data.isEmpty() || !data.get(0).writable()) {
                        result = S_IOERR;
                    } else {
                        int n = Math.min(data.get(0).length(), ID_BYTES);
                        byte[] out = Arrays.copyOf(id, n);
                        memory.write(data.get(0).gpa(), out);
                        memory.deviceWrote(data.get(0).gpa(), n);
                        written = n;
                        result = S_OK;
                    }
                }
                default -> result = S_UNSUPP;
            }
        } catch (SysException e) {
            result = S_IOERR;
        }
        memory.at(last.gpa() + last.length() - 1, 1).putByte(0, (byte) result);
        memory.deviceWrote(last.gpa() + last.length() - 1, 1);
        return written + 1;
    }

    private int transfer(boolean in, long sector, List<SplitQueue.Segment> data) {
        long total = 0;
        for (SplitQueue.Segment d : data) {
            if (d.writable() != in) {
                return S_IOERR;
            }
            total += d.length() & 0xffffffffL;
        }
        long offset = sector * ImageFile.SECTOR;
        if (sector < 0 || sector > image.size() / ImageFile.SECTOR || offset + total > image.size()) {
            return S_IOERR;
        }
        if (!in && readOnly) {
            return S_IOERR;
        }
        for (SplitQueue.Segment d : data) {
            var at = memory.at(d.gpa(), d.length());
            if (in) {
                boolean read = image.read(at, d.length(), offset);
                memory.deviceWrote(d.gpa(), d.length());   // even a short read wrote some of it
                if (!read) {
                    return S_IOERR;
                }
            } else {
                image.write(at, d.length(), offset);
            }
            offset += d.length();
        }
        return S_OK;
    }
}
