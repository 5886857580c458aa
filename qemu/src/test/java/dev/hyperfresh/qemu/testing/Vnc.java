package dev.hyperfresh.qemu.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** A VNC display on TCP for the tests: a free display number, and whether a VNC server answers on it. */
public final class Vnc {
    private static final String LOCALHOST = "127.0.0.1";

    private Vnc() {
    }

    /** {@code -vnc 127.0.0.1:N} for a display whose port (5900 + N) nothing listens on now. */
    public static List<String> freeDisplayOption() {
        for (int display = 40; display < 100; display++) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(LOCALHOST, 5900 + display));
                return List.of("-vnc", LOCALHOST + ":" + display);
            } catch (IOException taken) {
                // the next one
            }
        }
        throw new IllegalStateException("no free VNC port in 5940-5999 on " + LOCALHOST);
    }

    /** The port of {@link #freeDisplayOption}'s display. */
    public static int port(List<String> option) {
        return 5900 + Integer.parseInt(option.get(1).substring(option.get(1).indexOf(':') + 1));
    }

    /** The protocol version a VNC server greets a client with on {@code port}, e.g. "RFB 003.008". */
    public static String greeting(int port) throws IOException {
        try (Socket s = new Socket(LOCALHOST, port)) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            return new String(in.readNBytes(12), StandardCharsets.US_ASCII).strip();
        }
    }
}
