package dev.hyperfresh.vmm.devices;

/** A device on the x86 I/O port bus. Called from vCPU threads; implementations synchronise their own state. */
public interface PortDevice {
    /** Value of an IN of {@code size} bytes (1, 2 or 4) from {@code port}. */
    int read(int port, int size);

    /** An OUT of {@code size} bytes to {@code port}. */
    void write(int port, int size, int value);

    /** A string OUT (rep outsb) of whole bytes; devices that take text override this to see it in one piece. */
    default void writeString(int port, byte[] data) {
        for (byte b : data) {
            write(port, 1, b & 0xff);
        }
    }
}
