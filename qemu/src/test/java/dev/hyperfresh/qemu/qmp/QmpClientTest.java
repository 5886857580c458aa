package dev.hyperfresh.qemu.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperfresh.qemu.Accelerator;
import dev.hyperfresh.qemu.launch.HfguestVm;
import dev.hyperfresh.qemu.launch.QemuProcess;
import dev.hyperfresh.qemu.testing.TestQemu;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The QMP client against a real QEMU (TCG) running hfguest. */
class QmpClientTest {
    @TempDir
    static Path dir;
    static QemuProcess qemu;
    static HfguestVm vm;

    @BeforeAll
    static void startQemu() {
        vm = TestQemu.vm(dir, "qmp", Accelerator.TCG, true, "cpus=2 mem_pct=5 hb_ms=100");
        qemu = QemuProcess.start(vm.commandLine(), dir.resolve("qemu.log"));
        qemu.awaitQmp(vm.qmpSocket(), Duration.ofSeconds(30)).close();
    }

    @AfterAll
    static void stopQemu() {
        qemu.kill();
    }

    @Test
    void greetsNegotiatesAndAnswersCommands() {
        try (QmpClient qmp = QmpClient.connect(vm.qmpSocket())) {
            assertThat(qmp.greeting().path("version").path("qemu").path("major").asInt()).isGreaterThanOrEqualTo(7);
            JsonNode status = qmp.execute("query-status");
            assertThat(status.path("status").asText()).isEqualTo("running");
            JsonNode cpus = qmp.execute("query-cpus-fast");
            assertThat(cpus).hasSize(2);
        }
    }

    @Test
    void errorCarriesQemusClassAndDescription() {
        try (QmpClient qmp = QmpClient.connect(vm.qmpSocket())) {
            assertThatThrownBy(() -> qmp.execute("no-such-command"))
                    .isInstanceOfSatisfying(QmpError.class, e -> {
                        assertThat(e.errorClass()).isEqualTo("CommandNotFound");
                        assertThat(e.description()).contains("no-such-command");
                    })
                    .hasMessageContaining("QEMU refused no-such-command");
            assertThatThrownBy(() -> qmp.execute("qom-get", Map.of("path", "/nowhere", "property", "type")))
                    .isInstanceOfSatisfying(QmpError.class, e -> assertThat(e.errorClass()).isEqualTo("DeviceNotFound"));
            assertThat(qmp.execute("query-status").path("running").asBoolean()).isTrue();
        }
    }

    @Test
    void deliversEventsWithBothClocks() throws Exception {
        try (QmpClient qmp = QmpClient.connect(vm.qmpSocket())) {
            CompletableFuture<QmpEvent> stop = new CompletableFuture<>();
            CompletableFuture<QmpEvent> resume = new CompletableFuture<>();
            qmp.addListener(e -> {
                if (e.name().equals("STOP")) {
                    stop.complete(e);
                } else if (e.name().equals("RESUME")) {
                    resume.complete(e);
                }
            });
            qmp.execute("stop");
            qmp.execute("cont");
            QmpEvent stopped = stop.get(10, TimeUnit.SECONDS);
            QmpEvent resumed = resume.get(10, TimeUnit.SECONDS);
            assertThat(resumed.qemuMicros()).isGreaterThanOrEqualTo(stopped.qemuMicros()).isPositive();
            assertThat(resumed.receivedNanos()).isGreaterThanOrEqualTo(stopped.receivedNanos());
        }
    }

    @Test
    void aSecondClientTimesOutWithAReason() {
        try (QmpClient first = QmpClient.connect(vm.qmpSocket())) {
            assertThatThrownBy(() -> QmpClient.connect(vm.qmpSocket(), Duration.ofMillis(500)))
                    .isInstanceOf(QmpTimeoutException.class)
                    .hasMessageContaining("another client may hold this QMP socket");
            assertThat(first.execute("query-status").path("running").asBoolean()).isTrue();
        }
    }

    /** Behind a served client QEMU's short listen queue fills up, and a blocking connect(2) would wait for good. */
    @Test
    void aClientBehindAFullQueueTimesOutWithAReason() throws Exception {
        List<SocketChannel> waiting = new ArrayList<>();
        try (QmpClient first = QmpClient.connect(vm.qmpSocket())) {
            while (waiting.size() < 64) {
                SocketChannel next = SocketChannel.open(StandardProtocolFamily.UNIX);
                next.configureBlocking(false);
                waiting.add(next);
                try {
                    next.connect(UnixDomainSocketAddress.of(vm.qmpSocket()));
                } catch (IOException full) {
                    break;
                }
            }
            assertThat(waiting).hasSizeLessThan(64);
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThatThrownBy(
                    () -> QmpClient.connect(vm.qmpSocket(), Duration.ofMillis(500)))
                    .isInstanceOf(QmpTimeoutException.class)
                    .hasMessageContaining("another client may hold this QMP socket"));
            assertThat(first.execute("query-status").path("running").asBoolean()).isTrue();
        } finally {
            for (SocketChannel channel : waiting) {
                channel.close();
            }
        }
    }

    @Test
    void missingSocketIsNamed() {
        Path missing = dir.resolve("absent.qmp");
        assertThatThrownBy(() -> QmpClient.connect(missing))
                .isInstanceOf(QmpIoException.class)
                .hasMessage("no QMP socket at " + missing + " (is QEMU running with -qmp unix:" + missing
                        + ",server=on,wait=off?)");
    }

    @Test
    void socketNobodyListensOnIsRefusedClearly() throws Exception {
        Path stale = dir.resolve("stale.qmp");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(stale));
        }
        assertThatThrownBy(() -> QmpClient.connect(stale))
                .isInstanceOf(QmpIoException.class)
                .hasMessageContaining("cannot connect to the QMP socket " + stale)
                .hasMessageContaining("Connection refused")
                .hasMessageContaining("has probably exited");
    }

    @Test
    void commandsAfterCloseFailClearly() {
        QmpClient qmp = QmpClient.connect(vm.qmpSocket());
        qmp.close();
        assertThatThrownBy(() -> qmp.execute("query-status"))
                .isInstanceOf(QmpIoException.class)
                .hasMessageContaining("was closed by this process");
    }
}
