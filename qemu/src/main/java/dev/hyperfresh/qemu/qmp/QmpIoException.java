package dev.hyperfresh.qemu.qmp;

/** The QMP conversation itself failed: no socket, nobody listening, connection lost, or no answer in time. */
public class QmpIoException extends RuntimeException {
    public QmpIoException(String message) {
        super(message);
    }

    public QmpIoException(String message, Throwable cause) {
        super(message, cause);
    }
}
