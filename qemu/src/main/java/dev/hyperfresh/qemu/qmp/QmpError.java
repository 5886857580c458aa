package dev.hyperfresh.qemu.qmp;

/** QEMU answered a command with an error: its error class (e.g. {@code GenericError}) and description. */
public final class QmpError extends RuntimeException {
    private final String command;
    private final String errorClass;
    private final String description;

    public QmpError(String command, String errorClass, String description) {
        super("QEMU refused " + command + ": " + description + " (" + errorClass + ")");
        this.command = command;
        this.errorClass = errorClass;
        this.description = description;
    }

    public String command() {
        return command;
    }

    public String errorClass() {
        return errorClass;
    }

    public String description() {
        return description;
    }
}
