package dev.hyperfresh.vmm.devices.virtio;

import dev.hyperfresh.sys.ImageFile;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.vmm.devices.DeviceState;
import dev.hyperfresh.vmm.devices.InterruptLine;
import dev.hyperfresh.vmm.devices.InterruptOutput;
import dev.hyperfresh.vmm.devices.MmioDevice;
import dev.hyperfresh.vmm.devices.StatefulDevice;
import dev.hyperfresh.vmm.devices.pci.ConfigSpace;
import dev.hyperfresh.vmm.devices.pci.PciFunction;
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
public final class VirtioBlock implements PciFunction, MmioDevice, StatefulDevice {
    /** Where the first device's BAR sits (in the gap below 4 GiB); each device's takes {@link #BAR_SIZE}. */
    public static final long DEFAULT_BAR = 0xe0000000L;
    public static final int BAR_SIZE = 0x4000;
    static final int COMMON = 0x0000, COMMON_LENGTH = 0x40, ISR = 0x1000, DEVICE = 0x2000, DEVICE_LENGTH = 0x100;
    static final int NOTIFY = 0x3000;
    static final int STATE_MAGIC = 0x56424c4b; // "VBLK"
    static final int STATE_VERSION = 1;
    static final long F_SEG_MAX = 1L << 2, F_RO = 1L << 5, F_FLUSH = 1L << 9, F_VERSION_1 = 1L << 32;
    static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8;
    static final int S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
    static final int STATUS_NEEDS_RESET = 0x40;
    static final int SEG_MAX = SplitQueue.MAX_SIZE - 2;
    private static final int ISR_QUEUE = 1, ISR_CONFIG = 2, NO_VECTOR = 0xffff, ID_BYTES = 20;

    private final GuestMemory memory;
    private final ImageFile image;
    private final boolean readOnly;
    private final InterruptOutput irq;
    private final BooleanSupplier pausing;
    private final Consumer<Runnable> deferred;
    private final Runnable serveLater = this::serveDeferred;   // made here: a restore, in the blackout, defers it
    private final byte[] id;
    private final ConfigSpace config;
    private final SplitQueue queue = new SplitQueue();
    private int deviceFeatureSelect, driverFeatureSelect, queueSelect, msixConfig = NO_VECTOR;
    private long driverFeatures;
    private int status, isr;

    /**
     * {@code bar} is where BAR 0 starts (the guest may move it); {@code irqLine} the IOAPIC input INTx reaches
     * (what the MP table routes it to); {@code pausing} says a pause is requested, {@code deferred} takes the
     * queue's service for the first vCPU that runs again.
     */
    public VirtioBlock(GuestMemory memory, ImageFile image, boolean readOnly, String serial, long bar, int irqLine,
                       InterruptLine irq, BooleanSupplier pausing, Consumer<Runnable> deferred) {
        this.memory = memory;
        this.pausing = pausing;
        this.deferred = deferred;
        this.image = image;
        this.readOnly = readOnly;
        this.irq = new InterruptOutput(irq);
        byte[] s = serial.getBytes(StandardCharsets.US_ASCII);
        this.id = Arrays.copyOf(s, Math.min(s.length, ID_BYTES));
        this.config = new ConfigSpace(0x1af4, 0x1040 + 2, 1, 0x010000)
                .withSubsystem(0x1af4, 0x40 + 2).withCommandAndInterrupt(1, irqLine)
                .withMemoryBar(0, BAR_SIZE, bar).withCapabilities(0x40);
        capability(0x40, 0x50, 16, 1, COMMON, COMMON_LENGTH);
        capability(0x50, 0x64, 20, 2, NOTIFY, 4);
        config.put(0x50 + 16, 4, 0);   // notify_off_multiplier: one queue, one address
        capability(0x64, 0x74, 16, 3, ISR, 4);
        capability(0x74, 0, 16, 4, DEVICE, DEVICE_LENGTH);
    }

    private void capability(int at, int next, int length, int type, int offset, int size) {
        config.put(at, 1, 0x09).put(at + 1, 1, next).put(at + 2, 1, length).put(at + 3, 1, type).put(at + 4, 1, 0)
                .put(at + 8, 4, offset).put(at + 12, 4, size);
    }

    public ImageFile image() {
        return image;
    }

    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public synchronized int configRead(int offset, int size) {
        return config.read(offset, size);
    }

    @Override
    public synchronized void configWrite(int offset, int size, int value) {
        config.write(offset, size, value);
    }

    @Override
    public synchronized boolean claims(long address) {
        long bar = config.memoryBar(0);
        return (config.command() & ConfigSpace.COMMAND_MEMORY) != 0 && address >= bar && address < bar + BAR_SIZE;
    }

    @Override
    public synchronized long read(long address, int size) {
        int at = (int) (address - config.memoryBar(0));
        if (at >= COMMON && at < COMMON + COMMON_LENGTH) {
            return common(at - COMMON, size);
        }
        if (at == ISR) {
            int was = isr;
            isr = 0;
            irq.set(false);
            return was;
        }
        if (at >= DEVICE && at < DEVICE + DEVICE_LENGTH) {
            return deviceConfig(at - DEVICE, size);
        }
        return 0;
    }

    @Override
    public synchronized void write(long address, int size, long value) {
        int at = (int) (address - config.memoryBar(0));
        if (at >= COMMON && at < COMMON + COMMON_LENGTH) {
            setCommon(at - COMMON, size, (int) value, value);
        } else if (at == NOTIFY && (value & 0xffff) == 0) {
            serveQueue();
        }
    }

    private long features() {
        return F_VERSION_1 | F_SEG_MAX | F_FLUSH | (readOnly ? F_RO : 0);
    }

    private long common(int at, int size) {
        return switch (at) {
            case 0x00 -> deviceFeatureSelect;
            case 0x04 -> deviceFeatureSelect > 1 ? 0 : (features() >>> (32 * deviceFeatureSelect)) & 0xffffffffL;
            case 0x08 -> driverFeatureSelect;
            case 0x0c -> driverFeatureSelect > 1 ? 0 : (driverFeatures >>> (32 * driverFeatureSelect)) & 0xffffffffL;
            case 0x10 -> msixConfig;
            case 0x12 -> 1;
            case 0x14 -> status;
            case 0x15 -> 0;
            case 0x16 -> queueSelect;
            case 0x18 -> queueSelect == 0 ? queue.size : 0;
            case 0x1a -> queueSelect == 0 ? queue.msixVector : NO_VECTOR;
            case 0x1c -> queueSelect == 0 && queue.ready ? 1 : 0;
            case 0x1e -> 0;
            case 0x20 -> half(queue.desc, 0, size);
            case 0x24 -> half(queue.desc, 1, size);
            case 0x28 -> half(queue.avail, 0, size);
            case 0x2c -> half(queue.avail, 1, size);
            case 0x30 -> half(queue.used, 0, size);
            case 0x34 -> half(queue.used, 1, size);
            default -> 0;
        };
    }

    private static long half(long v, int which, int size) {
        return size == 8 && which == 0 ? v : (v >>> (32 * which)) & 0xffffffffL;
    }

    private void setCommon(int at, int size, int v, long whole) {
        boolean q = queueSelect == 0;
        switch (at) {
            case 0x00 -> deviceFeatureSelect = v;
            case 0x08 -> driverFeatureSelect = v;
            case 0x0c -> {
                if (driverFeatureSelect <= 1) {
                    long mask = 0xffffffffL << (32 * driverFeatureSelect);
                    driverFeatures = (driverFeatures & ~mask) | (((v & 0xffffffffL) << (32 * driverFeatureSelect))
                            & features());
                }
            }
            case 0x10 -> msixConfig = v & 0xffff;
            case 0x14 -> {
                if ((v & 0xff) == 0) {
                    reset();
                } else {
                    status = v & 0xff;
                }
            }
            case 0x16 -> queueSelect = v & 0xffff;
            case 0x18 -> {
                if (q && (v & 0xffff) > 0 && (v & 0xffff) <= SplitQueue.MAX_SIZE && Integer.bitCount(v & 0xffff) == 1) {
                    queue.size = v & 0xffff;
                }
            }
            case 0x1a -> {
                if (q) {
                    queue.msixVector = v & 0xffff;
                }
            }
            case 0x1c -> {
                if (q && (v & 0xffff) == 1) {
                    queue.ready = true;
                }
            }
            case 0x20 -> queue.desc = q ? low(queue.desc, size, whole) : queue.desc;
            case 0x24 -> queue.desc = q ? high(queue.desc, v) : queue.desc;
            case 0x28 -> queue.avail = q ? low(queue.avail, size, whole) : queue.avail;
            case 0x2c -> queue.avail = q ? high(queue.avail, v) : queue.avail;
            case 0x30 -> queue.used = q ? low(queue.used, size, whole) : queue.used;
            case 0x34 -> queue.used = q ? high(queue.used, v) : queue.used;
            default -> {
            }
        }
    }

    /** A write to an address register's low half, or of all of it in one 8-byte access. */
    private static long low(long old, int size, long v) {
        return size == 8 ? v : (old & 0xffffffff00000000L) | (v & 0xffffffffL);
    }

    private static long high(long old, int v) {
        return (old & 0xffffffffL) | ((v & 0xffffffffL) << 32);
    }

    private void reset() {
        status = 0;
        deviceFeatureSelect = driverFeatureSelect = queueSelect = 0;
        driverFeatures = 0;
        msixConfig = NO_VECTOR;
        queue.reset();
        isr = 0;
        irq.set(false);
    }

    /** struct virtio_blk_config: capacity in sectors, then seg_max; the rest of what it could say is not offered. */
    private long deviceConfig(int at, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | configByte(at + i);
        }
        return v;
    }

    private int configByte(int at) {
        if (at < 8) {
            return (int) ((image.size() / ImageFile.SECTOR) >>> (8 * at)) & 0xff;
        }
        if (at >= 12 && at < 16) {
            return (SEG_MAX >>> (8 * (at - 12))) & 0xff;
        }
        return 0;
    }

    private void serveQueue() {
        if (!queue.ready || (status & STATUS_NEEDS_RESET) != 0) {
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
            // the driver's rings or buffers are not where it said (not RAM, a loop): the guest's fault, not the VM's
            status |= STATUS_NEEDS_RESET;
            isr |= ISR_CONFIG;
            irq.set(true);
            return;
        }
        if (served && !queue.interruptSuppressed(memory)) {
            isr |= ISR_QUEUE;
            irq.set(true);
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

    @Override
    public synchronized byte[] saveState() {
        return DeviceState.save(STATE_MAGIC, STATE_VERSION, out -> {
            out.write(config.bytes());
            out.writeInt(deviceFeatureSelect);
            out.writeInt(driverFeatureSelect);
            out.writeLong(driverFeatures);
            out.writeInt(status);
            out.writeInt(queueSelect);
            out.writeInt(msixConfig);
            out.writeInt(isr);
            out.writeInt(queue.size);
            out.writeBoolean(queue.ready);
            out.writeLong(queue.desc);
            out.writeLong(queue.avail);
            out.writeLong(queue.used);
            out.writeInt(queue.msixVector);
            out.writeInt(queue.nextAvail);
            out.writeInt(queue.nextUsed);
        });
    }

    /** Takes over a saved state; the interrupt line is driven as the saved ISR says (the IOAPIC kept its own). */
    @Override
    public synchronized void restoreState(byte[] state) {
        DeviceState.restore(state, "virtio block device", STATE_MAGIC, STATE_VERSION, in -> {
            byte[] bytes = new byte[ConfigSpace.SIZE];
            in.readFully(bytes);
            int dfs = in.readInt(), drfs = in.readInt();
            long drf = in.readLong();
            int st = in.readInt(), qs = in.readInt(), msix = in.readInt(), is = in.readInt();
            int size = in.readInt();
            boolean ready = in.readBoolean();
            long desc = in.readLong(), avail = in.readLong(), used = in.readLong();
            int qmsix = in.readInt(), nextAvail = in.readInt(), nextUsed = in.readInt();
            if ((drf & ~features()) != 0) {
                throw new IllegalArgumentException("virtio block device state has features this device does not "
                        + "offer: 0x" + Long.toHexString(drf & ~features()));
            }
            if (size < 1 || size > SplitQueue.MAX_SIZE || Integer.bitCount(size) != 1) {
                throw new IllegalArgumentException("virtio block device state has a queue of " + size);
            }
            return () -> {
                config.restore(bytes);
                deviceFeatureSelect = dfs;
                driverFeatureSelect = drfs;
                driverFeatures = drf;
                status = st;
                queueSelect = qs;
                msixConfig = msix;
                isr = is;
                queue.size = size;
                queue.ready = ready;
                queue.desc = desc;
                queue.avail = avail;
                queue.used = used;
                queue.msixVector = qmsix;
                queue.nextAvail = nextAvail;
                queue.nextUsed = nextUsed;
                irq.assume(false);   // INTx is level-triggered: this KVM's line is low until told
                irq.set(isr != 0);
                deferred.accept(serveLater);   // what the old instance's pause left in the ring
            };
        });
    }
}
