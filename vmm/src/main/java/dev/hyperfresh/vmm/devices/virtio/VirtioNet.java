package dev.hyperfresh.vmm.devices.virtio;

import dev.hyperfresh.sys.EventFd;
import dev.hyperfresh.sys.IoVectors;
import dev.hyperfresh.sys.Poll;
import dev.hyperfresh.sys.SysException;
import dev.hyperfresh.sys.TapDevice;
import dev.hyperfresh.vmm.devices.InterruptLine;
import dev.hyperfresh.vmm.memory.GuestMemory;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A virtio network device (virtio 1.x, modern PCI transport, a receive and a transmit queue, legacy INTx) on a host
 * tap interface, frames passed with their virtio-net header as the tap takes them (no offloads offered, so none
 * is asked for). Transmits are served on the vCPU thread whose notify exit announced them, as the block device's
 * requests; frames from the host are read by a receiver thread straight into the buffers the driver posted, one
 * frame at a time under the device's monitor. That thread touches guest memory only while no pause is requested:
 * once one is, frames wait in the tap's queue (the kernel's, which the descriptor keeps across a handover) and the
 * first vCPU to run again wakes it — on this instance after a rollback, on the new one after a handover.
 */
public final class VirtioNet extends VirtioPciDevice implements AutoCloseable {
    static final int STATE_MAGIC = 0x564e4554; // "VNET"
    static final int STATE_VERSION = 1;
    static final long F_MAC = 1L << 5;
    static final int RX = 0, TX = 1;
    private static final int NUM_BUFFERS_AT = 10;
    /** A missed wake-up (a driver that posts buffers before it is ready) costs at most this long. */
    private static final long RECHECK_MILLIS = 1000;

    private final TapDevice tap;
    private final byte[] mac;
    private final BooleanSupplier pausing;
    private final Consumer<Runnable> deferred;
    private final Runnable transmitLater = this::transmitDeferred;   // made here: a restore, in the blackout, defers them
    private final Runnable wakeLater = this::wakeReceiver;
    private final IoVectors rxBuffers = new IoVectors(SplitQueue.MAX_SIZE);
    private final IoVectors txBuffers = new IoVectors(SplitQueue.MAX_SIZE);
    private final EventFd stop = EventFd.create(0);
    private final Thread receiver;
    private boolean wakeDeferred, closed, tapFailed;

    /**
     * {@code mac} is the 6-byte address the guest is told; {@code bar}, {@code irqLine}, {@code pausing} and
     * {@code deferred} as for {@link VirtioBlock}. The receiver thread starts here and waits for the driver.
     */
    public VirtioNet(GuestMemory memory, TapDevice tap, byte[] mac, String name, long bar, int irqLine,
                     InterruptLine irq, BooleanSupplier pausing, Consumer<Runnable> deferred) {
        super(memory, 1, 0x020000, 2, bar, irqLine, irq, STATE_MAGIC, STATE_VERSION, "virtio network device");
        if (mac.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, not " + mac.length);
        }
        this.tap = tap;
        this.mac = mac.clone();
        this.pausing = pausing;
        this.deferred = deferred;
        this.receiver = new Thread(this::receive, "hfvisor-net-" + name);
        receiver.setDaemon(true);
        receiver.start();
    }

    public TapDevice tap() {
        return tap;
    }

    public byte[] mac() {
        return mac.clone();
    }

    @Override
    protected long deviceFeatures() {
        return F_MAC;
    }

    /** struct virtio_net_config: the MAC address; the link status and the rest are not offered. */
    @Override
    protected int configByte(int at) {
        return at < 6 ? mac[at] & 0xff : 0;
    }

    @Override
    protected void queueNotified(int index) {
        if (index == TX) {
            transmit();
        } else {
            notifyAll();   // buffers posted: the receiver may go on
        }
    }

    /** Frames the old instance's pause left in the transmit ring, and the receiver, for after the resume. */
    @Override
    protected void restored() {
        deferred.accept(transmitLater);
        deferWake();
    }

    private void transmit() {
        SplitQueue queue = queue(TX);
        boolean used = false;
        try {
            while (true) {
                if (pausing.getAsBoolean()) {
                    deferred.accept(transmitLater);
                    break;
                }
                SplitQueue.Chain chain = queue.next(memory);
                if (chain == null) {
                    break;
                }
                txBuffers.clear();
                for (SplitQueue.Segment s : chain.segments()) {
                    if (s.writable()) {
                        throw new SplitQueue.Malformed("a transmit buffer the device is to write");
                    }
                    txBuffers.add(memory.at(s.gpa(), s.length()), s.length());
                }
                try {
                    tap.write(txBuffers);   // a full host queue (-1) drops the frame, as a wire would
                } catch (SysException e) {
                    // its interface down (EIO) or gone: the frame is lost, as on a wire; the VM runs on
                }
                queue.putUsed(memory, chain.head(), 0);
                used = true;
            }
        } catch (SplitQueue.Malformed | IllegalArgumentException | IllegalStateException e) {
            fail();
            return;
        }
        if (used) {
            interruptForUsed(queue);
        }
    }

    private synchronized void transmitDeferred() {
        if (queue(TX).ready && !failed()) {
            transmit();
        }
    }

    private void receive() {
        while (awaitReceivable()) {
            int ready = Poll.readable(-1, tap.fd(), stop.fd());
            if (ready == 0) {
                synchronized (this) {
                    if (!closed && canReceive()) {
                        receiveWaiting();
                    }
                }
            }
        }
    }

    /** Waits until frames may go into guest memory; false once the device is closed. */
    private synchronized boolean awaitReceivable() {
        while (!closed && !canReceive()) {
            if (pausing.getAsBoolean()) {
                deferWake();
            }
            try {
                wait(RECHECK_MILLIS);
            } catch (InterruptedException e) {
                return false;
            }
        }
        return !closed;
    }

    private boolean canReceive() {
        SplitQueue queue = queue(RX);
        if (!driverOk() || !queue.ready || pausing.getAsBoolean() || tapFailed) {
            return false;
        }
        try {
            return queue.hasAvailable(memory);
        } catch (IllegalArgumentException e) {
            fail();
            return false;
        }
    }

    /** Frames from the tap into the posted buffers, while both last and no pause is requested. */
    private void receiveWaiting() {
        SplitQueue queue = queue(RX);
        boolean used = false;
        try {
            while (!pausing.getAsBoolean() && queue.hasAvailable(memory)) {
                SplitQueue.Chain chain = queue.next(memory);
                rxBuffers.clear();
                for (SplitQueue.Segment s : chain.segments()) {
                    if (!s.writable()) {
                        throw new SplitQueue.Malformed("a receive buffer the device may not write");
                    }
                    rxBuffers.add(memory.at(s.gpa(), s.length()), s.length());
                }
                if (rxBuffers.totalLength() < TapDevice.VNET_HDR) {
                    throw new SplitQueue.Malformed("a receive buffer shorter than the virtio-net header");
                }
                long n = tap.read(rxBuffers);
                if (n < 0) {
                    queue.giveBack();
                    break;
                }
                int written = (int) Math.min(n, rxBuffers.totalLength());
                finishFrame(chain, written);
                queue.putUsed(memory, chain.head(), written);
                used = true;
            }
        } catch (SplitQueue.Malformed | IllegalArgumentException | IllegalStateException e) {
            fail();
            return;
        } catch (SysException e) {
            tapFailed = true;   // its interface deleted under us: the guest sees no more frames, the VM runs on
        }
        if (used) {
            interruptForUsed(queue);
        }
    }

    /** num_buffers is 1 without mergeable buffers (the tap leaves it); the pages written are logged for a pre-copy. */
    private void finishFrame(SplitQueue.Chain chain, int written) {
        long at = 0;
        for (SplitQueue.Segment s : chain.segments()) {
            for (int b = 0; b < 2; b++) {
                long offset = NUM_BUFFERS_AT + b - at;
                if (offset >= 0 && offset < s.length()) {
                    memory.at(s.gpa() + offset, 1).putByte(0, (byte) (b == 0 ? 1 : 0));
                }
            }
            long filled = Math.min(s.length(), Math.max(0, written - at));
            memory.deviceWrote(s.gpa(), Math.max(filled, Math.min(s.length(), TapDevice.VNET_HDR)));
            at += s.length();
        }
    }

    private synchronized void wakeReceiver() {
        wakeDeferred = false;
        notifyAll();
    }

    private void deferWake() {
        if (!wakeDeferred) {
            wakeDeferred = true;
            deferred.accept(wakeLater);
        }
    }

    /**
     * Returns once no frame is being written into guest memory, nor will be until the VM runs again: called when
     * the VM is paused (the receiver looks at the pause under this monitor before each frame).
     */
    public synchronized void quiesce() {
    }

    /** Ends the receiver (before the VM's memory goes); the tap closes with it. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            notifyAll();
        }
        stop.signal(1);
        try {
            receiver.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stop.close();
        tap.close();
    }
}
