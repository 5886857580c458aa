package dev.hyperfresh.vmm.persist;

import java.nio.ByteBuffer;

/** A VM's state that can be written in {@link StateCodec}'s format into a fixed region, such as the handover ledger. */
public interface EncodableState {
    /**
     * Writes from {@code region}'s position (which is left where it was); returns the bytes written. {@code done}
     * hears, as the writing goes, how many bytes from the start are final: a reader may restore what lies there
     * while the rest is still being written ({@link InPlaceState.EarlyRestore}).
     *
     * @throws java.nio.BufferOverflowException if the state does not fit
     */
    int encodeInto(ByteBuffer region, Written done);

    /**
     * Told the end of each vCPU section once it is written: the bytes of every section before that point are final
     * then, but the VM-wide section's, which is saved after the vCPUs.
     */
    interface Written {
        Written NOBODY = new Written() {
            @Override
            public void upTo(int bytes) {
            }
        };

        void upTo(int bytes);
    }
}
