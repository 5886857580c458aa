package dev.hyperfresh.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceManagerTest {
    @TempDir
    Path dir;

    @Test
    void aMessageReachesASocketFileAsOneDatagramOfLines() {
        String address = dir.resolve("notify").toString();
        try (UnixSocket manager = UnixSocket.datagramAt(address)) {
            ServiceManager.at(address).orElseThrow().notify("READY=1", "STATUS=serving");
            ServiceManager.at(address).orElseThrow().notify("MAINPID=42");
            assertThat(received(manager)).isEqualTo("READY=1\nSTATUS=serving");
            assertThat(received(manager)).isEqualTo("MAINPID=42");
        }
    }

    @Test
    void anAbstractSocketIsReachedByItsName() {
        String address = "@hyperfresh-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (UnixSocket manager = UnixSocket.datagramAt(address)) {
            ServiceManager.at(address).orElseThrow().notify("STOPPING=1");
            assertThat(received(manager)).isEqualTo("STOPPING=1");
        }
    }

    @Test
    void noAddressIsNoManagerAndAnUnknownKindIsSaid() {
        assertThat(ServiceManager.at(null)).isEmpty();
        assertThat(ServiceManager.at(" ")).isEmpty();
        assertThatThrownBy(() -> ServiceManager.at("vsock:2:1234"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NOTIFY_SOCKET=vsock:2:1234");
    }

    @Test
    void aManagerGoneIsAnErrorNamingItsSocket() {
        String address = dir.resolve("gone").toString();
        assertThatThrownBy(() -> ServiceManager.at(address).orElseThrow().notify("READY=1"))
                .isInstanceOf(SysException.class).hasMessageContaining(address);
    }

    private static String received(UnixSocket manager) {
        manager.setReceiveTimeout(5000);
        byte[] buf = new byte[4096];
        return new String(buf, 0, manager.receive(buf, 0).length(), StandardCharsets.UTF_8);
    }
}
