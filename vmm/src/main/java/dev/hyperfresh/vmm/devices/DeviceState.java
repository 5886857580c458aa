package dev.hyperfresh.vmm.devices;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The envelope every {@link StatefulDevice} saves its fields in: a magic naming the device, a version, then the
 * fields. Restoring reads and checks everything before the device changes, so foreign, newer, truncated or
 * overlong bytes are refused with a clear error and leave the device as it was.
 */
public final class DeviceState {
    public interface Fields {
        void write(DataOutputStream out) throws IOException;
    }

    /** Reads the fields and returns what applies them; it runs only once all bytes were read and checked. */
    public interface Parser {
        Runnable read(DataInputStream in) throws IOException;
    }

    private DeviceState() {
    }

    public static byte[] save(int magic, int version, Fields fields) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(magic);
            out.writeShort(version);
            fields.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static void restore(byte[] state, String device, int magic, int version, Parser parser) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            if (in.readInt() != magic) {
                throw new IllegalArgumentException("not a " + device + " state");
            }
            int saved = in.readUnsignedShort();
            if (saved != version) {
                throw new IllegalArgumentException(device + " state version " + saved + ", this build reads "
                        + version);
            }
            Runnable apply = parser.read(in);
            if (in.read() != -1) {
                throw new IllegalArgumentException(device + " state has the wrong length (" + state.length
                        + " bytes)");
            }
            apply.run();
        } catch (EOFException e) {
            throw new IllegalArgumentException(device + " state is truncated (" + state.length + " bytes)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
