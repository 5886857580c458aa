package dev.hyperfresh.vmm.devices.virtio;

import dev.hyperfresh.vmm.devices.DeviceState;
import dev.hyperfresh.vmm.devices.InterruptLine;
import dev.hyperfresh.vmm.devices.InterruptOutput;
import dev.hyperfresh.vmm.devices.MmioDevice;
import dev.hyperfresh.vmm.devices.StatefulDevice;
import dev.hyperfresh.vmm.devices.pci.ConfigSpace;
import dev.hyperfresh.vmm.devices.pci.PciFunction;
import dev.hyperfresh.vmm.memory.GuestMemory;

/**
 * The virtio 1.x modern PCI transport a device type ({@link VirtioBlock}, {@link VirtioNet}) sits on: its
 * configuration space with the common/notify/ISR/device capabilities in one 16 KiB memory BAR, feature
 * negotiation, the queues' registers and legacy INTx (level). Every queue is notified at one address with its
 * index as the value (a notify_off_multiplier of 0). All of it is the device's state in a handover, with the
 * queues' positions; the rings and buffers are guest memory, which stays where it is. Register accesses and the
 * device type's work run under this object's monitor.
 */
public abstract class VirtioPciDevice implements PciFunction, MmioDevice, StatefulDevice {
    /** Where the first device's BAR sits (in the gap below 4 GiB); each device's takes {@link #BAR_SIZE}. */
    public static final long DEFAULT_BAR = 0xe0000000L;
    public static final int BAR_SIZE = 0x4000;
    static final int COMMON = 0x0000, COMMON_LENGTH = 0x40, ISR = 0x1000, DEVICE = 0x2000, DEVICE_LENGTH = 0x100;
    static final int NOTIFY = 0x3000;
    static final long F_VERSION_1 = 1L << 32;
    static final int STATUS_DRIVER_OK = 0x04, STATUS_NEEDS_RESET = 0x40;
    private static final int ISR_QUEUE = 1, ISR_CONFIG = 2, NO_VECTOR = 0xffff;

    protected final GuestMemory memory;
    private final InterruptOutput irq;
    private final ConfigSpace config;
    private final SplitQueue[] queues;
    private final int stateMagic, stateVersion;
    private final String what;
    private int deviceFeatureSelect, driverFeatureSelect, queueSelect, msixConfig = NO_VECTOR;
    private long driverFeatures;
    private int status, isr;

    /**
     * A device of virtio type {@code type} with {@code queues} queues; {@code bar} is where BAR 0 starts (the guest
     * may move it), {@code irqLine} the IOAPIC input INTx reaches (what the MP table routes it to). Its state is
     * saved under {@code stateMagic} (one per device type), {@code what} names it in errors.
     */
    protected VirtioPciDevice(GuestMemory memory, int type, int pciClass, int queues, long bar, int irqLine,
                              InterruptLine irq, int stateMagic, int stateVersion, String what) {
        this.memory = memory;
        this.irq = new InterruptOutput(irq);
        this.stateMagic = stateMagic;
        this.stateVersion = stateVersion;
        this.what = what;
        this.queues = new SplitQueue[queues];
        for (int i = 0; i < queues; i++) {
            this.queues[i] = new SplitQueue();
        }
        this.config = new ConfigSpace(0x1af4, 0x1040 + type, 1, pciClass)
                .withSubsystem(0x1af4, 0x40 + type).withCommandAndInterrupt(1, irqLine)
                .withMemoryBar(0, BAR_SIZE, bar).withCapabilities(0x40);
        capability(0x40, 0x50, 16, 1, COMMON, COMMON_LENGTH);
        capability(0x50, 0x64, 20, 2, NOTIFY, 4);
        config.put(0x50 + 16, 4, 0);   // notify_off_multiplier: every queue at one address
        capability(0x64, 0x74, 16, 3, ISR, 4);
        capability(0x74, 0, 16, 4, DEVICE, DEVICE_LENGTH);
    }

    private void capability(int at, int next, int length, int type, int offset, int size) {
        config.put(at, 1, 0x09).put(at + 1, 1, next).put(at + 2, 1, length).put(at + 3, 1, type).put(at + 4, 1, 0)
                .put(at + 8, 4, offset).put(at + 12, 4, size);
    }

    /** The device type's feature bits (VERSION_1 is the transport's). */
    protected abstract long deviceFeatures();

    /** Byte {@code at} of the device type's configuration structure. */
    protected abstract int configByte(int at);

    /** The driver notified queue {@code index} (a valid one), on the vCPU thread of that exit, under the monitor. */
    protected abstract void queueNotified(int index);

    /** After a restore (in the blackout, under the monitor): what the device type picks up from the rings. */
    protected void restored() {
    }

    protected final SplitQueue queue(int index) {
        return queues[index];
    }

    /** Whether the driver set the device up and it has not failed since. */
    protected final boolean driverOk() {
        return (status & STATUS_DRIVER_OK) != 0 && (status & STATUS_NEEDS_RESET) == 0;
    }

    /** Whether the device stopped for a fault in the driver's rings, until the driver resets it. */
    protected final boolean failed() {
        return (status & STATUS_NEEDS_RESET) != 0;
    }

    /** The driver's rings or buffers are not where it said (not RAM, a loop): the guest's fault, not the VM's. */
    protected final void fail() {
        status |= STATUS_NEEDS_RESET;
        isr |= ISR_CONFIG;
        irq.set(true);
    }

    /** Tells the driver it has used buffers in {@code queue}, unless it asked not to be told. */
    protected final void interruptForUsed(SplitQueue queue) {
        if (!queue.interruptSuppressed(memory)) {
            isr |= ISR_QUEUE;
            irq.set(true);
        }
    }

    private long features() {
        return F_VERSION_1 | deviceFeatures();
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
            long v = 0;
            for (int i = size - 1; i >= 0; i--) {
                v = (v << 8) | configByte(at - DEVICE + i);
            }
            return v;
        }
        return 0;
    }

    @Override
    public synchronized void write(long address, int size, long value) {
        int at = (int) (address - config.memoryBar(0));
        if (at >= COMMON && at < COMMON + COMMON_LENGTH) {
            setCommon(at - COMMON, size, (int) value, value);
        } else if (at == NOTIFY) {
            int index = (int) (value & 0xffff);
            if (index < queues.length && queues[index].ready && !failed()) {
                queueNotified(index);
            }
        }
    }

    private SplitQueue selected() {
        return queueSelect < queues.length ? queues[queueSelect] : null;
    }

    private long common(int at, int size) {
        SplitQueue q = selected();
        return switch (at) {
            case 0x00 -> deviceFeatureSelect;
            case 0x04 -> deviceFeatureSelect > 1 ? 0 : (features() >>> (32 * deviceFeatureSelect)) & 0xffffffffL;
            case 0x08 -> driverFeatureSelect;
            case 0x0c -> driverFeatureSelect > 1 ? 0 : (driverFeatures >>> (32 * driverFeatureSelect)) & 0xffffffffL;
            case 0x10 -> msixConfig;
            case 0x12 -> queues.length;
            case 0x14 -> status;
            case 0x15 -> 0;
            case 0x16 -> queueSelect;
            case 0x18 -> q == null ? 0 : q.size;
            case 0x1a -> q == null ? NO_VECTOR : q.msixVector;
            case 0x1c -> q != null && q.ready ? 1 : 0;
            case 0x1e -> 0;
            case 0x20 -> q == null ? 0 : half(q.desc, 0, size);
            case 0x24 -> q == null ? 0 : half(q.desc, 1, size);
            case 0x28 -> q == null ? 0 : half(q.avail, 0, size);
            case 0x2c -> q == null ? 0 : half(q.avail, 1, size);
            case 0x30 -> q == null ? 0 : half(q.used, 0, size);
            case 0x34 -> q == null ? 0 : half(q.used, 1, size);
            default -> 0;
        };
    }

    private static long half(long v, int which, int size) {
        return size == 8 && which == 0 ? v : (v >>> (32 * which)) & 0xffffffffL;
    }

    private void setCommon(int at, int size, int v, long whole) {
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
            default -> setQueue(selected(), at, size, v, whole);
        }
    }

    private static void setQueue(SplitQueue q, int at, int size, int v, long whole) {
        if (q == null) {
            return;
        }
        switch (at) {
            case 0x18 -> {
                if ((v & 0xffff) > 0 && (v & 0xffff) <= SplitQueue.MAX_SIZE && Integer.bitCount(v & 0xffff) == 1) {
                    q.size = v & 0xffff;
                }
            }
            case 0x1a -> q.msixVector = v & 0xffff;
            case 0x1c -> q.ready |= (v & 0xffff) == 1;
            case 0x20 -> q.desc = low(q.desc, size, whole);
            case 0x24 -> q.desc = high(q.desc, v);
            case 0x28 -> q.avail = low(q.avail, size, whole);
            case 0x2c -> q.avail = high(q.avail, v);
            case 0x30 -> q.used = low(q.used, size, whole);
            case 0x34 -> q.used = high(q.used, v);
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
        for (SplitQueue q : queues) {
            q.reset();
        }
        isr = 0;
        irq.set(false);
    }

    @Override
    public synchronized byte[] saveState() {
        return DeviceState.save(stateMagic, stateVersion, out -> {
            out.write(config.bytes());
            out.writeInt(deviceFeatureSelect);
            out.writeInt(driverFeatureSelect);
            out.writeLong(driverFeatures);
            out.writeInt(status);
            out.writeInt(queueSelect);
            out.writeInt(msixConfig);
            out.writeInt(isr);
            for (SplitQueue q : queues) {
                out.writeInt(q.size);
                out.writeBoolean(q.ready);
                out.writeLong(q.desc);
                out.writeLong(q.avail);
                out.writeLong(q.used);
                out.writeInt(q.msixVector);
                out.writeInt(q.nextAvail);
                out.writeInt(q.nextUsed);
            }
        });
    }

    /** Takes over a saved state; the interrupt line is driven as the saved ISR says (the IOAPIC kept its own). */
    @Override
    public synchronized void restoreState(byte[] state) {
        DeviceState.restore(state, what, stateMagic, stateVersion, in -> {
            byte[] bytes = new byte[ConfigSpace.SIZE];
            in.readFully(bytes);
            int dfs = in.readInt(), drfs = in.readInt();
            long drf = in.readLong();
            int st = in.readInt(), qs = in.readInt(), msix = in.readInt(), is = in.readInt();
            SplitQueue[] saved = new SplitQueue[queues.length];
            for (int i = 0; i < saved.length; i++) {
                SplitQueue q = saved[i] = new SplitQueue();
                q.size = in.readInt();
                q.ready = in.readBoolean();
                q.desc = in.readLong();
                q.avail = in.readLong();
                q.used = in.readLong();
                q.msixVector = in.readInt();
                q.nextAvail = in.readInt();
                q.nextUsed = in.readInt();
                if (q.size < 1 || q.size > SplitQueue.MAX_SIZE || Integer.bitCount(q.size) != 1) {
                    throw new IllegalArgumentException(what + " state has a queue of " + q.size);
                }
            }
            if ((drf & ~features()) != 0) {
                throw new IllegalArgumentException(what + " state has features this device does not offer: 0x"
                        + Long.toHexString(drf & ~features()));
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
                for (int i = 0; i < queues.length; i++) {
                    queues[i].restore(saved[i]);
                }
                irq.assume(false);   // INTx is level-triggered: this KVM's line is low until told
                irq.set(isr != 0);
                restored();
            };
        });
    }
}
