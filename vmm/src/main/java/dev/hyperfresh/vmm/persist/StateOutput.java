package dev.hyperfresh.vmm.persist;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Consumer;

/** Big-endian writes into memory, the counterpart of {@link StateInput}. */
final class StateOutput {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(buffer);

    StateOutput u16(int v) {
        if (v >>> 16 != 0) {
            throw new IllegalArgumentException(v + " does not fit in 16 bits");
        }
        return write(() -> out.writeShort(v));
    }

    StateOutput u32(int v) {
        return write(() -> out.writeInt(v));
    }

    StateOutput u64(long v) {
        return write(() -> out.writeLong(v));
    }

    StateOutput bytes(byte[] b) {
        return write(() -> out.write(b));
    }

    StateOutput blob(byte[] b) {
        return u32(b.length).bytes(b);
    }

    /** A tag, the body's length, the body: readers skip tags they do not know by that length. */
    StateOutput section(int tag, Consumer<StateOutput> body) {
        StateOutput s = new StateOutput();
        body.accept(s);
        return u32(tag).blob(s.toByteArray());
    }

    int size() {
        return buffer.size();
    }

    byte[] toByteArray() {
        return buffer.toByteArray();
    }

    private interface Write {
        void run() throws IOException;
    }

    private StateOutput write(Write w) {
        try {
            w.run();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory", e);
        }
        return this;
    }
}
