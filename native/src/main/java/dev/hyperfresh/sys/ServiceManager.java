package dev.hyperfresh.sys;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The service manager (systemd) that runs this process as a service and listens on the notification socket named
 * in {@value #NOTIFY_SOCKET} (sd_notify(3)): told when the process is ready, when it stops, and which process
 * becomes the service's main process when this one hands its work on ({@code MAINPID=}), so that the service
 * lives on with the work instead of ending with this process.
 */
public final class ServiceManager {
    public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";

    private final String address;

    private ServiceManager(String address) {
        this.address = address;
    }

    /** The one this process's environment names; empty when it was not started by one that listens. */
    public static Optional<ServiceManager> fromEnvironment() {
        return at(System.getenv(NOTIFY_SOCKET));
    }

    /**
     * The one listening at {@code address}, a {@value #NOTIFY_SOCKET} value: a path, or {@code @NAME} for an
     * abstract socket; empty for null or blank.
     *
     * @throws IllegalArgumentException for any other kind of address (systemd's {@code vsock:}, for a VM's manager)
     */
    public static Optional<ServiceManager> at(String address) {
        if (address == null || address.isBlank()) {
            return Optional.empty();
        }
        if (!address.startsWith("/") && !address.startsWith("@")) {
            throw new IllegalArgumentException(NOTIFY_SOCKET + "=" + address + " is neither a path nor an abstract"
                    + " socket (@NAME), the kinds this program can notify");
        }
        return Optional.of(new ServiceManager(address));
    }

    public String address() {
        return address;
    }

    /**
     * Sends one message of assignments ({@code READY=1}, {@code STATUS=...}, {@code MAINPID=N}), newline-separated
     * as the protocol has them. The manager learns the sender from the socket's credentials.
     *
     * @throws SysException when the socket cannot be reached (the manager gone) or the message not sent
     */
    public void notify(String... assignments) {
        try (UnixSocket socket = UnixSocket.datagramTo(address)) {
            socket.send(String.join("\n", assignments).getBytes(StandardCharsets.UTF_8));
        }
    }

    @Override
    public String toString() {
        return "the service manager at " + address;
    }
}
