package dev.hyperfresh.qemu.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Another program connected to a unix socket (a python3 process: a process of its own, as a management tool is),
 * holding the connection until closed; it reads what the socket first says (a QMP greeting) before it reports in.
 */
public final class ForeignClient implements AutoCloseable {
    private final Process process;

    private ForeignClient(Process process) {
        this.process = process;
    }

    public static ForeignClient connect(Path socket) {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import socket, sys\n"
                    + "s = socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ns.recv(4096)\n"
                    + "print('connected', flush=True)\nsys.stdin.read()\n", socket.toString()).start();
            String line = p.inputReader().readLine();
            if (!"connected".equals(line)) {
                p.destroyForcibly();
                throw new IllegalStateException("python3 did not connect to " + socket + ": "
                        + new String(p.getErrorStream().readAllBytes()));
            }
            return new ForeignClient(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
