package dev.hyperfresh.vmm.control;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Run as another user by {@link PeerUidTest}: sends a ping and prints the reply's header. JDK classes only, so it
 * runs from the test-classes directory alone, without the Maven repository another user cannot read.
 */
public final class ForeignPeerMain {
    private ForeignPeerMain() {
    }

    public static void main(String[] args) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(Path.of(args[0])));
            byte[] json = "{\"v\":1,\"op\":\"ping\",\"id\":1}".getBytes(StandardCharsets.UTF_8);
            try {
                channel.write(ByteBuffer.allocate(8 + json.length).putInt(4 + json.length).putInt(json.length)
                        .put(json).flip());
            } catch (IOException refusedAlready) {
                // The server may refuse and close before this write; its reply is still there to read.
            }
            DataInputStream in = new DataInputStream(Channels.newInputStream(channel));
            in.readInt();
            byte[] header = new byte[in.readInt()];
            in.readFully(header);
            System.out.println(new String(header, StandardCharsets.UTF_8));
        }
    }
}
