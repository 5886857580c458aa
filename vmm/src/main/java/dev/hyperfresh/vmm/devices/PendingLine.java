package dev.hyperfresh.vmm.devices;

/**
 * A console's unfinished line as device state: a guest writes a line byte by byte or in pieces, a pause may fall
 * in between, and the line must end whole in whichever instance runs the VM next rather than split in two.
 */
public final class PendingLine implements StatefulDevice {
    static final int STATE_VERSION = 1;
    private final LineSplitter lines;
    private final String device;
    private final int magic;

    /** {@code device} names the console in errors; {@code magic} tells its state apart from other devices'. */
    public PendingLine(LineSplitter lines, String device, int magic) {
        this.lines = lines;
        this.device = device;
        this.magic = magic;
    }

    @Override
    public byte[] saveState() {
        byte[] pending = lines.pending();
        return DeviceState.save(magic, STATE_VERSION, out -> {
            out.writeShort(pending.length);
            out.write(pending);
        });
    }

    @Override
    public void restoreState(byte[] state) {
        DeviceState.restore(state, device, magic, STATE_VERSION, in -> {
            byte[] pending = new byte[in.readUnsignedShort()];
            in.readFully(pending);
            return () -> lines.resume(pending);
        });
    }
}
