package dev.hyperfresh.vmm.handover;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * Run as another user by {@link HandoverOnKvmTest}: listens where a standby would, as a stranger that bound the
 * name first, and prints how many bytes the old instance sent it before closing. JDK classes only, so it runs from
 * the test-classes directory alone.
 */
public final class ForeignStandbyMain {
    private ForeignStandbyMain() {
    }

    public static void main(String[] args) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(Path.of(args[0])));
            System.out.println("listening");
            System.out.flush();
            try (SocketChannel peer = server.accept()) {
                long total = 0;
                ByteBuffer buf = ByteBuffer.allocate(1 << 16);
                int n;
                while ((n = peer.read(buf.clear())) >= 0) {
                    total += n;
                }
                System.out.println("received " + total + " bytes");
            }
        }
    }
}
