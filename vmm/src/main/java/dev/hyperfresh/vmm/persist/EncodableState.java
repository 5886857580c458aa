package dev.hyperfresh.vmm.persist;

import java.nio.ByteBuffer;

/** A VM's state that can be written in {@link StateCodec}'s format into a fixed region, such as the handover ledger. */
public interface EncodableState {
    /**
     * Writes from {@code region}'s position (which is left where it was); returns the bytes written.
     *
     * @throws java.nio.BufferOverflowException if the state does not fit
     */
    int encodeInto(ByteBuffer region);
}
