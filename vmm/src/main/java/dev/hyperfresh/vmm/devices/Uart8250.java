package dev.hyperfresh.vmm.devices;

import java.io.EOFException;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * A 16550A-compatible serial port (COM1 at 0x3f8, IRQ 4, by default): the guest's console. Transmitted bytes go
 * straight to the console sink, so the transmitter is always empty; received bytes wait in a bounded FIFO.
 * Linux's 8250 driver probes it as a 16550A (FIFO bits in IIR, IER read-back, loopback via MCR).
 */
public final class Uart8250 implements PortDevice, StatefulDevice {
    public static final int COM1 = 0x3f8;
    public static final int COM1_IRQ = 4;
    public static final int PORTS = 8;
    /** Input beyond this waits with the caller: {@link #input} says how much it took. */
    public static final int RX_CAPACITY = 4096;
    static final int STATE_MAGIC = 0x55415254; // "UART"
    static final int STATE_VERSION = 1;

    static final int RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;
    static final int IER_RX = 0x01, IER_THRE = 0x02, IER_MASK = 0x0f;
    static final int IIR_NONE = 0x01, IIR_THRE = 0x02, IIR_RX = 0x04, IIR_FIFO = 0xc0;
    static final int FCR_ENABLE = 0x01, FCR_CLEAR_RX = 0x02;
    static final int LCR_DLAB = 0x80;
    static final int MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10;
    static final int MCR_MASK = 0x1f;
    static final int LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40;
    static final int MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80;
    private static final int FLAG_FIFO = 1, FLAG_THRE_PENDING = 2, FLAG_IRQ_HIGH = 4;
    /** The divisor a PC BIOS leaves: 9600 baud. */
    private static final int DEFAULT_DIVISOR = 12;

    private final int base;
    private final InterruptOutput irq;
    private final Consumer<byte[]> console;
    private final ArrayDeque<Byte> rx = new ArrayDeque<>();
    private int ier;
    private int lcr;
    private int mcr;
    private int scr;
    private int divisor = DEFAULT_DIVISOR;
    private boolean fifo;
    private boolean threPending;

    public Uart8250(int base, InterruptLine irq, Consumer<byte[]> console) {
        this.base = base;
        this.irq = new InterruptOutput(irq);
        this.console = console;
    }

    /** COM1: ports 0x3f8-0x3ff. */
    public static Uart8250 com1(InterruptLine irq, Consumer<byte[]> console) {
        return new Uart8250(COM1, irq, console);
    }

    public int base() {
        return base;
    }

    @Override
    public synchronized int read(int port, int size) {
        int value = switch (port - base) {
            case RBR_THR -> dlab() ? divisor & 0xff : receive();
            case IER -> dlab() ? divisor >>> 8 : ier;
            case IIR_FCR -> readIir();
            case LCR -> lcr;
            case MCR -> mcr;
            case LSR -> (rx.isEmpty() ? 0 : LSR_DR) | LSR_THRE | LSR_TEMT;
            case MSR -> modemStatus();
            case SCR -> scr;
            default -> 0xff;
        };
        updateIrq();
        return value;
    }

    @Override
    public synchronized void write(int port, int size, int value) {
        int v = value & 0xff;
        switch (port - base) {
            case RBR_THR -> {
                if (dlab()) {
                    divisor = (divisor & 0xff00) | v;
                } else {
                    transmit((byte) v);
                }
            }
            case IER -> {
                if (dlab()) {
                    divisor = (divisor & 0xff) | v << 8;
                } else {
                    // Enabling the THRE interrupt while the transmitter is empty raises it at once, as on a 16550.
                    if ((v & IER_THRE) != 0 && (ier & IER_THRE) == 0) {
                        threPending = true;
                    }
                    ier = v & IER_MASK;
                }
            }
            case IIR_FCR -> {
                fifo = (v & FCR_ENABLE) != 0;
                if ((v & FCR_CLEAR_RX) != 0) {
                    rx.clear();
                }
            }
            case LCR -> lcr = v;
            case MCR -> mcr = v & MCR_MASK;
            case SCR -> scr = v;
            default -> {
                // LSR and MSR writes are factory-test features nobody uses
            }
        }
        updateIrq();
    }

    /**
     * Bytes typed at the console. Takes as many as the receive FIFO has room for and returns how many that was;
     * raises the receive interrupt if the guest enabled it.
     */
    public synchronized int input(byte[] data) {
        int taken = Math.min(data.length, RX_CAPACITY - rx.size());
        for (int i = 0; i < taken; i++) {
            rx.add(data[i]);
        }
        updateIrq();
        return taken;
    }

    private boolean dlab() {
        return (lcr & LCR_DLAB) != 0;
    }

    private int receive() {
        Byte b = rx.poll();
        return b == null ? 0 : b & 0xff;
    }

    private void transmit(byte b) {
        if ((mcr & MCR_LOOP) != 0) {
            if (rx.size() < RX_CAPACITY) {
                rx.add(b);
            }
        } else {
            console.accept(new byte[] {b});
        }
        threPending = true;
    }

    private int interruptId() {
        if ((ier & IER_RX) != 0 && !rx.isEmpty()) {
            return IIR_RX;
        }
        if ((ier & IER_THRE) != 0 && threPending) {
            return IIR_THRE;
        }
        return IIR_NONE;
    }

    /** Reading IIR while it reports THRE acknowledges that interrupt (16550 datasheet). */
    private int readIir() {
        int id = interruptId();
        if (id == IIR_THRE) {
            threPending = false;
        }
        return id | (fifo ? IIR_FIFO : 0);
    }

    /** In loopback the modem inputs are wired to MCR's outputs; otherwise a modem that is always ready. */
    private int modemStatus() {
        if ((mcr & MCR_LOOP) == 0) {
            return MSR_DCD | MSR_DSR | MSR_CTS;
        }
        return ((mcr & MCR_RTS) != 0 ? MSR_CTS : 0) | ((mcr & MCR_DTR) != 0 ? MSR_DSR : 0)
                | ((mcr & MCR_OUT1) != 0 ? MSR_RI : 0) | ((mcr & MCR_OUT2) != 0 ? MSR_DCD : 0);
    }

    private void updateIrq() {
        boolean high = interruptId() != IIR_NONE;
        irq.set(high);
    }

    @Override
    public synchronized byte[] saveState() {
        return DeviceState.save(STATE_MAGIC, STATE_VERSION, out -> {
            out.writeByte(ier);
            out.writeByte(lcr);
            out.writeByte(mcr);
            out.writeByte(scr);
            out.writeShort(divisor);
            out.writeByte((fifo ? FLAG_FIFO : 0) | (threPending ? FLAG_THRE_PENDING : 0)
                    | (irq.high() ? FLAG_IRQ_HIGH : 0));
            out.writeShort(rx.size());
            for (byte b : rx) {
                out.writeByte(b);
            }
        });
    }

    /**
     * Takes over a state saved by {@link #saveState()}, also the level the interrupt line had: the interrupt
     * controllers' state moves separately and already reflects it, so nothing is re-signalled here.
     */
    @Override
    public synchronized void restoreState(byte[] state) {
        DeviceState.restore(state, "Uart8250", STATE_MAGIC, STATE_VERSION, in -> {
            int newIer = in.readUnsignedByte();
            int newLcr = in.readUnsignedByte();
            int newMcr = in.readUnsignedByte();
            int newScr = in.readUnsignedByte();
            int newDivisor = in.readUnsignedShort();
            int flags = in.readUnsignedByte();
            int count = in.readUnsignedShort();
            if (count > RX_CAPACITY) {
                throw new IllegalArgumentException("Uart8250 state holds " + count + " received bytes, more than "
                        + RX_CAPACITY);
            }
            byte[] pending = in.readNBytes(count);
            if (pending.length != count) {
                throw new EOFException();
            }
            return () -> {
                ier = newIer & IER_MASK;
                lcr = newLcr;
                mcr = newMcr & MCR_MASK;
                scr = newScr;
                divisor = newDivisor;
                fifo = (flags & FLAG_FIFO) != 0;
                threPending = (flags & FLAG_THRE_PENDING) != 0;
                irq.assume((flags & FLAG_IRQ_HIGH) != 0);
                rx.clear();
                for (byte b : pending) {
                    rx.add(b);
                }
            };
        });
    }
}
