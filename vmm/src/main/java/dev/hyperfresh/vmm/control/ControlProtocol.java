package dev.hyperfresh.vmm.control;

/** The control socket's version and limits (docs/CONTROL-PROTOCOL.md). */
public final class ControlProtocol {
    /** Sent as {@code "v"} in every frame; bumped only for changes an older peer would misread. */
    public static final int VERSION = 1;
    /**
     * The largest frame after its length field: header length, header and payloads. Sized for copy mode's 8 MiB
     * pages batches with room to spare, and small enough that every client at once ({@code ControlServer}'s 32)
     * cannot buffer the process into an OutOfMemoryError that would reach its vCPU threads.
     */
    public static final int MAX_FRAME_BYTES = 16 << 20;
    public static final int MAX_HEADER_BYTES = 1 << 20;
    /** File descriptors one frame may carry; more is a protocol error that ends the connection. */
    public static final int MAX_FDS = 64;

    private ControlProtocol() {
    }
}
