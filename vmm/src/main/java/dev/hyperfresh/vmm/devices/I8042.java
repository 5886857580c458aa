package dev.hyperfresh.vmm.devices;

/**
 * The PS/2 controller at 0x60/0x64 with nothing plugged in. Linux probes it at boot and, with {@code reboot=k},
 * resets the machine through it (command 0xfe), which this device reports to {@code resetRequest}. Controller
 * commands Linux uses answer as on a PC; bytes sent to the keyboard or mouse come back as a timeout, so drivers
 * learn at once that no device is there instead of waiting for one.
 */
public final class I8042 implements PortDevice, StatefulDevice {
    public static final int DATA_PORT = 0x60;
    public static final int COMMAND_PORT = 0x64;
    public static final int KEYBOARD_IRQ = 1;
    public static final int AUX_IRQ = 12;

    static final int STATUS_OBF = 0x01, STATUS_SYS = 0x04, STATUS_COMMAND = 0x08, STATUS_NOT_INHIBITED = 0x10;
    static final int STATUS_AUX = 0x20;
    static final int STATUS_TIMEOUT = 0x40;
    static final int CTR_KBD_INT = 0x01, CTR_AUX_INT = 0x02, CTR_SYS = 0x04, CTR_KBD_DISABLED = 0x10;
    static final int CTR_AUX_DISABLED = 0x20, CTR_TRANSLATE = 0x40;
    static final int READ_CTR = 0x20, WRITE_CTR = 0x60, AUX_DISABLE = 0xa7, AUX_ENABLE = 0xa8, AUX_TEST = 0xa9;
    static final int SELF_TEST = 0xaa, KBD_TEST = 0xab, KBD_DISABLE = 0xad, KBD_ENABLE = 0xae;
    static final int WRITE_OUTPUT_PORT = 0xd1, KBD_LOOP = 0xd2, AUX_LOOP = 0xd3, AUX_SEND = 0xd4, PULSE_RESET = 0xfe;
    static final int SELF_TEST_OK = 0x55, INTERFACE_OK = 0x00, NO_DEVICE = 0xfe;
    static final int STATE_MAGIC = 0x49383034; // "I804"
    static final int STATE_VERSION = 1;
    private static final int OUTPUT_PORT_RESET_HIGH = 0x01;
    private static final int FLAG_COMMAND_LAST = 1, FLAG_OUTPUT_FULL = 2, FLAG_KBD_HIGH = 4, FLAG_AUX_HIGH = 8;
    private static final int NONE = -1;

    private final InterruptOutput keyboardIrq;
    private final InterruptOutput auxIrq;
    private final Runnable resetRequest;
    /** What a BIOS leaves after POST: scancode translation, system flag, keyboard interrupt on. */
    private int ctr = CTR_TRANSLATE | CTR_SYS | CTR_KBD_INT;
    private int pendingCommand = NONE;
    private boolean lastWriteWasCommand;
    private int output;
    private int outputFlags;
    private boolean outputFull;

    public I8042(InterruptLine keyboardIrq, InterruptLine auxIrq, Runnable resetRequest) {
        this.keyboardIrq = new InterruptOutput(keyboardIrq);
        this.auxIrq = new InterruptOutput(auxIrq);
        this.resetRequest = resetRequest;
    }

    @Override
    public synchronized int read(int port, int size) {
        if (port == COMMAND_PORT) {
            // Keyboard-inhibit switch off: otherwise Linux warns "Keylock active".
            return (outputFull ? STATUS_OBF | outputFlags : 0) | (ctr & CTR_SYS) | STATUS_NOT_INHIBITED
                    | (lastWriteWasCommand ? STATUS_COMMAND : 0);
        }
        outputFull = false;
        updateIrqs();
        return output;
    }

    @Override
    public synchronized void write(int port, int size, int value) {
        int v = value & 0xff;
        lastWriteWasCommand = port == COMMAND_PORT;
        boolean reset = port == COMMAND_PORT ? command(v) : data(v);
        updateIrqs();
        if (reset) {
            resetRequest.run();
        }
    }

    /** Returns true when the guest asked for a reset. */
    private boolean command(int v) {
        pendingCommand = NONE;
        switch (v) {
            case READ_CTR -> respond(ctr, 0);
            case WRITE_CTR, WRITE_OUTPUT_PORT, KBD_LOOP, AUX_LOOP, AUX_SEND -> pendingCommand = v;
            case AUX_DISABLE -> ctr |= CTR_AUX_DISABLED;
            case AUX_ENABLE -> ctr &= ~CTR_AUX_DISABLED;
            case KBD_DISABLE -> ctr |= CTR_KBD_DISABLED;
            case KBD_ENABLE -> ctr &= ~CTR_KBD_DISABLED;
            case AUX_TEST, KBD_TEST -> respond(INTERFACE_OK, 0);
            case SELF_TEST -> {
                ctr |= CTR_SYS;
                respond(SELF_TEST_OK, 0);
            }
            case PULSE_RESET -> {
                return true;
            }
            default -> {
                // other controller commands (password, RAM, input port) are not needed by the guests we run
            }
        }
        return false;
    }

    private boolean data(int v) {
        int command = pendingCommand;
        pendingCommand = NONE;
        switch (command) {
            case WRITE_CTR -> ctr = v;
            case WRITE_OUTPUT_PORT -> {
                return (v & OUTPUT_PORT_RESET_HIGH) == 0;
            }
            case KBD_LOOP -> respond(v, 0);
            case AUX_LOOP -> respond(v, STATUS_AUX);
            case AUX_SEND -> respond(NO_DEVICE, STATUS_AUX | STATUS_TIMEOUT);
            default -> respond(NO_DEVICE, STATUS_TIMEOUT);
        }
        return false;
    }

    private void respond(int value, int flags) {
        output = value & 0xff;
        outputFlags = flags;
        outputFull = true;
    }

    /** Like the real chip: IRQ 1 or 12 stays high while a byte for that port waits and its interrupt is on. */
    private void updateIrqs() {
        boolean aux = (outputFlags & STATUS_AUX) != 0;
        boolean keyboard = outputFull && !aux && (ctr & CTR_KBD_INT) != 0;
        boolean mouse = outputFull && aux && (ctr & CTR_AUX_INT) != 0;
        keyboardIrq.set(keyboard);
        auxIrq.set(mouse);
    }

    @Override
    public synchronized byte[] saveState() {
        return DeviceState.save(STATE_MAGIC, STATE_VERSION, out -> {
            out.writeByte(ctr);
            out.writeShort(pendingCommand);
            out.writeByte(output);
            out.writeByte(outputFlags);
            out.writeByte((lastWriteWasCommand ? FLAG_COMMAND_LAST : 0) | (outputFull ? FLAG_OUTPUT_FULL : 0)
                    | (keyboardIrq.high() ? FLAG_KBD_HIGH : 0) | (auxIrq.high() ? FLAG_AUX_HIGH : 0));
        });
    }

    /** Takes over a saved state with its interrupt levels, which the moved irqchip state already reflects. */
    @Override
    public synchronized void restoreState(byte[] state) {
        DeviceState.restore(state, "I8042", STATE_MAGIC, STATE_VERSION, in -> {
            int newCtr = in.readUnsignedByte();
            int newPending = in.readShort();
            int newOutput = in.readUnsignedByte();
            int newOutputFlags = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            if (newPending != NONE && (newPending & ~0xff) != 0) {
                throw new IllegalArgumentException("I8042 state has a pending command " + newPending);
            }
            return () -> {
                ctr = newCtr;
                pendingCommand = newPending;
                output = newOutput;
                outputFlags = newOutputFlags;
                lastWriteWasCommand = (flags & FLAG_COMMAND_LAST) != 0;
                outputFull = (flags & FLAG_OUTPUT_FULL) != 0;
                keyboardIrq.assume((flags & FLAG_KBD_HIGH) != 0);
                auxIrq.assume((flags & FLAG_AUX_HIGH) != 0);
            };
        });
    }
}
