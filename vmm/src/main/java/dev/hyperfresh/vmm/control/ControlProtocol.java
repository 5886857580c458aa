package dev.hyperfresh.vmm.control;

/** The control socket's version and limits (docs/CONTROL-PROTOCOL.md). */
public final class ControlProtocol {
    /** Sent as {@code "v"} in every frame; bumped only for changes an older peer would misread. */
    public static final int VERSION = 1;
    /** The largest frame after its length field: header length, header and payloads. */
    public static final int MAX_FRAME_BYTES = 64 << 20;
    public static final int MAX_HEADER_BYTES = 1 << 20;
    /** File descriptors one frame may carry; more is a protocol error that ends the connection. */
    public static final int MAX_FDS = 64;

    private ControlProtocol() {
    }
}
