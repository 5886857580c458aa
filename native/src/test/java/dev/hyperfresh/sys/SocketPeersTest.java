package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketPeersTest {
    @TempDir
    Path dir;

    @Test
    void theConnectionsAListenerAcceptedNameTheirPeersUnderTheNameItWasBoundAs() throws Exception {
        Path path = dir.resolve("held.sock");
        long self = ProcessHandle.current().pid();
        try (UnixServer server = UnixSocket.listen(path); UnixSocket client = UnixSocket.connect(path)) {
            assertThat(SocketPeers.acceptedBy(self, path)).as("not accepted yet: in no process's table").isEmpty();
            try (UnixSocket accepted = server.accept()) {
                assertThat(SocketPeers.acceptedBy(self, path)).singleElement().satisfies(peer -> {
                    assertThat(peer.pid()).isEqualTo(self);
                    assertThat(peer.uid()).isEqualTo(Sys.C.geteuid());
                });
                Path renamed = Files.move(path, dir.resolve("renamed.sock"));
                assertThat(SocketPeers.acceptedBy(self, path)).as("the bound name, kept").hasSize(1);
                assertThat(SocketPeers.acceptedBy(self, renamed)).isEmpty();
                assertThat(accepted.peerCredentials().pid()).as("the connection untouched").isEqualTo(self);
            }
            assertThat(SocketPeers.acceptedBy(self, path)).isEmpty();
        }
    }

    @Test
    void aProcessThatIsGoneHasNoConnections() {
        assertThat(SocketPeers.acceptedBy(Integer.MAX_VALUE, dir.resolve("none.sock"))).isEmpty();
    }
}
