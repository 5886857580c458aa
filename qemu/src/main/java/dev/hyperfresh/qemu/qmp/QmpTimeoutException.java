package dev.hyperfresh.qemu.qmp;

/** QEMU did not answer in time; the connection stays usable (a late answer is dropped). */
public final class QmpTimeoutException extends QmpIoException {
    public QmpTimeoutException(String message) {
        super(message);
    }
}
